// A node's metric sets in a compact form for crossing from a kubelet worker thread to the
// main thread: the numbers in one Float64Array (moved, not copied), and the names and labels
// ("layout") sent only when they differ from the node's previous answer. The main thread
// keeps each node's layout and rebuilds the sets over shared value shapes. Structured clone
// of the sets themselves costs more than parsing the kubelet's JSON again (measured).
import type { Batch, LabeledValue, Labels, MetricSet } from '../../core/batch.js';
import { emptyBatch } from '../../core/batch.js';
import { SlotMap, slotShape } from '../../core/slot-map.js';
import type { SlotShape } from '../../core/slot-map.js';

/** One node's sets: per set scrape time, collection start, create time, values, labeled values. */
export interface NodeFrame {
  /** Number of the layout (per encoder and node). */
  readonly layoutId: number;
  /** JSON of the layout when it is new for this node; absent when unchanged. */
  readonly layout?: string;
  readonly nums: Float64Array;
}

/** Layout of one set: key, labels, value names, labeled values' names and labels. */
type LayoutSet = [string, Labels, string[], [string, Labels][]];

const TIMES = 3;

/** True when two label sets are equal. */
function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** True when two layouts are equal (what their JSON texts would say, without making them). */
function sameLayout(a: readonly LayoutSet[], b: readonly LayoutSet[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const [ak, al, an, alv] = a[i];
    const [bk, bl, bn, blv] = b[i];
    if (ak !== bk || an.length !== bn.length || alv.length !== blv.length) return false;
    if (!sameLabels(al, bl)) return false;
    for (let j = 0; j < an.length; j++) if (an[j] !== bn[j]) return false;
    for (let j = 0; j < alv.length; j++) {
      if (alv[j][0] !== blv[j][0] || !sameLabels(alv[j][1], blv[j][1])) return false;
    }
  }
  return true;
}

/** Encodes nodes' sets (worker side); remembers each node's last layout. */
export class FrameEncoder {
  private readonly last = new Map<string, { layout: LayoutSet[]; id: number }>();
  private nextId = 1;

  encode(node: string, batch: Batch): NodeFrame {
    let n = 0;
    for (const set of batch.sets.values()) n += TIMES + set.values.size + set.labeled.length;
    const nums = new Float64Array(n);
    const layout: LayoutSet[] = [];
    let o = 0;
    for (const [key, set] of batch.sets) {
      nums[o++] = set.scrapeTimeMs;
      nums[o++] = set.collectionStartMs;
      nums[o++] = set.createMs;
      const names: string[] = [];
      set.values.forEach((v, name) => {
        names.push(name);
        nums[o++] = v;
      });
      const lvs: [string, Labels][] = [];
      for (const lv of set.labeled) {
        lvs.push([lv.name, lv.labels]);
        nums[o++] = lv.value;
      }
      layout.push([key, set.labels, names, lvs]);
    }
    const prev = this.last.get(node);
    if (prev !== undefined && sameLayout(prev.layout, layout)) return { layoutId: prev.id, nums };
    const id = this.nextId++;
    // Set labels are copied: they are the sets' own and could change after this call.
    for (const l of layout) l[1] = { ...l[1] };
    this.last.set(node, { layout, id });
    return { layoutId: id, layout: JSON.stringify(layout), nums };
  }

  /** Forgets a node's layout: its next frame carries the layout again. */
  forget(node: string): void {
    this.last.delete(node);
  }

  /** Nodes with a remembered layout. */
  get size(): number {
    return this.last.size;
  }
}

interface SetTemplate {
  readonly key: string;
  readonly labels: Labels;
  readonly names: readonly string[];
  readonly shape: SlotShape | undefined;
  readonly lvs: readonly { readonly name: string; readonly labels: Labels }[];
}

interface NodeLayout {
  readonly id: number;
  readonly sets: readonly SetTemplate[];
  readonly nums: number;
}

/** Thrown when a frame cannot be decoded (unknown layout, wrong length). */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/** Decodes frames into sets (main thread); remembers each node's layout. */
export class FrameDecoder {
  private readonly layouts = new Map<string, NodeLayout>();

  /** The node's sets in a new batch stamped `timestampMs`. */
  decode(node: string, frame: NodeFrame, timestampMs: number): Batch {
    let layout = this.layouts.get(node);
    if (frame.layout !== undefined) {
      layout = parseLayout(frame.layoutId, frame.layout);
      this.layouts.set(node, layout);
    }
    if (layout === undefined || layout.id !== frame.layoutId) {
      this.layouts.delete(node);
      throw new FrameError(`node ${node}: layout ${frame.layoutId} of its sets is not known`);
    }
    const nums = frame.nums;
    if (nums.length !== layout.nums) {
      this.layouts.delete(node);
      throw new FrameError(`node ${node}: ${nums.length} numbers for a layout of ${layout.nums}`);
    }
    const batch = emptyBatch(timestampMs);
    let o = 0;
    for (const t of layout.sets) {
      const scrapeTimeMs = nums[o++];
      const collectionStartMs = nums[o++];
      const createMs = nums[o++];
      const count = t.names.length;
      let values: SlotMap;
      if (t.shape !== undefined) {
        const vals = new Array<number>(count);
        for (let i = 0; i < count; i++) vals[i] = nums[o + i];
        values = SlotMap.withShape(t.shape, vals);
      } else {
        values = new SlotMap();
        for (let i = 0; i < count; i++) values.set(t.names[i], nums[o + i]);
      }
      o += count;
      const labeled: LabeledValue[] = new Array<LabeledValue>(t.lvs.length);
      for (let i = 0; i < t.lvs.length; i++) {
        labeled[i] = { name: t.lvs[i].name, labels: t.lvs[i].labels, value: nums[o++] };
      }
      const set: MetricSet = {
        labels: { ...t.labels },
        values,
        labeled,
        scrapeTimeMs,
        collectionStartMs,
        createMs,
      };
      batch.sets.set(t.key, set);
    }
    return batch;
  }

  /** Forgets a node's layout. */
  forget(node: string): void {
    this.layouts.delete(node);
  }

  /** Nodes with a remembered layout. */
  nodes(): IterableIterator<string> {
    return this.layouts.keys();
  }
}

/**
 * A layout's templates. Labeled values' labels are shared by every tick's sets, so they are
 * frozen (nothing changes them; a change would throw rather than leak into later ticks); each
 * set gets its own copy of its labels, which enrichers extend.
 */
function parseLayout(id: number, text: string): NodeLayout {
  const raw = JSON.parse(text) as LayoutSet[];
  let nums = 0;
  const sets = raw.map(([key, labels, names, lvs]): SetTemplate => {
    nums += TIMES + names.length + lvs.length;
    return {
      key,
      labels,
      names,
      shape: slotShape(names),
      lvs: lvs.map(([name, l]) => ({ name, labels: Object.freeze(l) })),
    };
  });
  return { id, sets, nums };
}
