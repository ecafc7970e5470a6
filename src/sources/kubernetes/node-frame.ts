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
  /** Text of the layout (grammar below) when it is new for this node; absent when unchanged. */
  readonly layout?: string;
  readonly nums: Float64Array;
}

// The layout text: every string as `<length>:<chars>` (no escaping, unambiguous), each list
// ended by `.`:
//   layout := { key labels names lvs } "."     labels := { name value } "."
//   names  := { name } "."                     lvs := { name labels } "."
// The encoder keeps the last text of each node (about 25 KB for 94 sets) and compares a new
// answer against it in place, without building anything unless it changed.

const TIMES = 3;
const END = 46; // '.'
const COLON = 58; // ':'

/** Where the pieces of a layout go: compared with a stored text, or written out. */
interface LayoutSink {
  str(s: string): void;
  end(): void;
}

/** A read position in a layout text (the matcher and the reader share it). */
class LayoutCursor {
  protected pos = 0;
  constructor(protected readonly text: string) {}

  /** Reads a string's `<length>:` prefix: its length, or -1 when there is none here. */
  protected length(): number {
    const t = this.text;
    let p = this.pos;
    let n = 0;
    for (let c = t.charCodeAt(p); c !== COLON; c = t.charCodeAt(++p)) {
      if (!(c >= 48 && c <= 57)) return -1;
      n = n * 10 + (c - 48);
    }
    this.pos = p + 1;
    return n;
  }

  /** True (and consumed) when a list ends here. */
  atEnd(): boolean {
    if (this.text.charCodeAt(this.pos) !== END) return false;
    this.pos++;
    return true;
  }

  /** True when the whole text was read. */
  done(): boolean {
    return this.pos === this.text.length;
  }
}

/** Compares pieces against a stored layout text; `ok` turns false at the first difference. */
class LayoutMatcher extends LayoutCursor implements LayoutSink {
  ok = true;

  str(s: string): void {
    if (!this.ok) return;
    if (this.length() !== s.length || !this.text.startsWith(s, this.pos)) this.ok = false;
    else this.pos += s.length;
  }

  end(): void {
    if (this.ok && !this.atEnd()) this.ok = false;
  }

  /** True when the whole stored text was matched. */
  override done(): boolean {
    return this.ok && super.done();
  }
}

/** Writes pieces out as layout text. */
class LayoutWriter implements LayoutSink {
  private readonly parts: string[] = [];
  str(s: string): void {
    this.parts.push(`${s.length}:`, s);
  }
  end(): void {
    this.parts.push('.');
  }
  text(): string {
    return this.parts.join('');
  }
}

function walkLabels(labels: Labels, sink: LayoutSink): void {
  for (const k in labels) {
    const v = labels[k];
    // Not a label (as JSON would drop it); never from the parsers.
    if (typeof v !== 'string') continue;
    sink.str(k);
    sink.str(v);
  }
  sink.end();
}

/** Feeds a batch's layout to `sink` and, when given, its numbers to `nums`. */
function walkLayout(batch: Batch, sink: LayoutSink, nums: Float64Array | undefined): void {
  let o = 0;
  for (const [key, set] of batch.sets) {
    sink.str(key);
    walkLabels(set.labels, sink);
    if (nums !== undefined) {
      nums[o++] = set.scrapeTimeMs;
      nums[o++] = set.collectionStartMs;
      nums[o++] = set.createMs;
    }
    set.values.forEach((v, name) => {
      sink.str(name);
      if (nums !== undefined) nums[o++] = v;
    });
    sink.end();
    for (const lv of set.labeled) {
      sink.str(lv.name);
      walkLabels(lv.labels, sink);
      if (nums !== undefined) nums[o++] = lv.value;
    }
    sink.end();
  }
  sink.end();
}

/** Encodes nodes' sets (worker side); remembers each node's last layout text. */
export class FrameEncoder {
  private readonly last = new Map<string, { text: string; id: number }>();
  private nextId = 1;

  encode(node: string, batch: Batch): NodeFrame {
    let n = 0;
    for (const set of batch.sets.values()) n += TIMES + set.values.size + set.labeled.length;
    const nums = new Float64Array(n);
    const prev = this.last.get(node);
    if (prev !== undefined) {
      const m = new LayoutMatcher(prev.text);
      walkLayout(batch, m, nums);
      if (m.done()) return { layoutId: prev.id, nums };
    }
    const w = new LayoutWriter();
    walkLayout(batch, w, prev === undefined ? nums : undefined);
    const text = w.text();
    const id = this.nextId++;
    this.last.set(node, { text, id });
    return { layoutId: id, layout: text, nums };
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
  readonly lvs: readonly LabeledTemplate[];
}

/** A labeled value's name and labels (frozen; shared by every set and tick that has them). */
interface LabeledTemplate {
  readonly name: string;
  readonly labels: Labels;
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
  private readonly intern = new Map<string, string>();
  private readonly lvIntern = new Map<string, LabeledTemplate>();

  /** The node's sets in a new batch stamped `timestampMs`. */
  decode(node: string, frame: NodeFrame, timestampMs: number): Batch {
    let layout = this.layouts.get(node);
    if (frame.layout !== undefined) {
      try {
        layout = parseLayout(frame.layoutId, frame.layout, this.intern, this.lvIntern);
      } catch (err) {
        this.layouts.delete(node);
        throw new FrameError(`node ${node}: ${(err as Error).message}`);
      }
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

/** Reads a layout text (see the grammar above); throws FrameError when it is not one. */
class LayoutReader extends LayoutCursor {
  constructor(
    text: string,
    /** Shares equal strings between nodes' templates (names repeat in every node). */
    private readonly intern: Map<string, string>,
  ) {
    super(text);
  }

  str(): string {
    const n = this.length();
    if (n < 0) throw new FrameError(`bad layout text at ${this.pos}`);
    const from = this.pos;
    if (from + n > this.text.length) {
      throw new FrameError(`layout text ends inside a string at ${from}`);
    }
    const s = this.text.slice(from, from + n);
    this.pos = from + n;
    let shared = this.intern.get(s);
    if (shared === undefined) {
      if (this.intern.size >= MAX_INTERNED) this.intern.clear();
      // A copy of its own: a slice would keep the whole layout text alive.
      shared = (' ' + s).slice(1);
      this.intern.set(shared, shared);
    }
    return shared;
  }

  labels(): Labels {
    const out: Labels = {};
    while (!this.atEnd()) {
      const k = this.str();
      out[k] = this.str();
    }
    return out;
  }
}

/** Distinct strings the decoder shares at most (then it starts over: only sharing is lost). */
const MAX_INTERNED = 100_000;

/**
 * A layout's templates. Labeled values' labels are shared by every tick's sets, so they are
 * frozen (nothing changes them; a change would throw rather than leak into later ticks); each
 * set gets its own copy of its labels, which enrichers extend.
 */
function parseLayout(
  id: number,
  text: string,
  intern: Map<string, string>,
  lvIntern: Map<string, LabeledTemplate>,
): NodeLayout {
  const r = new LayoutReader(text, intern);
  let nums = 0;
  const sets: SetTemplate[] = [];
  while (!r.atEnd()) {
    const key = r.str();
    const labels = r.labels();
    const names: string[] = [];
    while (!r.atEnd()) names.push(r.str());
    const lvs: LabeledTemplate[] = [];
    while (!r.atEnd()) {
      const name = r.str();
      const l = r.labels();
      // The same filesystem labels recur in every container: one frozen entry for all.
      const k = `${name}\u0000${JSON.stringify(l)}`;
      let lv = lvIntern.get(k);
      if (lv === undefined) {
        if (lvIntern.size >= MAX_INTERNED) lvIntern.clear();
        lv = Object.freeze({ name, labels: Object.freeze(l) });
        lvIntern.set(k, lv);
      }
      lvs.push(lv);
    }
    nums += TIMES + names.length + lvs.length;
    const shape = slotShape(names);
    // With a shape, its names are the template's (one array for every set of that shape).
    sets.push({ key, labels, names: shape?.names ?? names, shape, lvs });
  }
  if (!r.done()) throw new FrameError('layout text goes on after its end');
  return { id, sets, nums };
}
