// A Map<string, number> for metric-set values that costs the garbage collector little:
// the names live in shared "shapes" (like V8's hidden classes) and each map holds only its
// shape and an array of numbers. A tick creates ~100 k sets of ~25 values each; as real Maps
// they allocate and regrow a hash table each (~200 MB of garbage per 1,000-node tick) and
// keep ~1 KB alive per set until the next tick.

/** Shapes made at most (distinct name sequences); beyond, maps fall back to a real Map. */
const MAX_SHAPES = 20_000;
/** Names per shape at most; a map with more becomes a real Map. */
const MAX_NAMES = 128;

let shapes = 0;

/** The names of a SlotMap in insertion order, shared by every map that added the same names. */
class Shape {
  private next: Map<string, Shape> | undefined;

  constructor(
    readonly names: readonly string[],
    readonly index: ReadonlyMap<string, number>,
  ) {}

  /** The shape with `name` added after these names; undefined when no more shapes may be made. */
  with(name: string): Shape | undefined {
    let s = this.next?.get(name);
    if (s !== undefined) return s;
    if (shapes >= MAX_SHAPES || this.names.length >= MAX_NAMES) return undefined;
    shapes++;
    const index = new Map(this.index);
    index.set(name, this.names.length);
    s = new Shape([...this.names, name], index);
    (this.next ??= new Map()).set(name, s);
    return s;
  }
}

const ROOT = new Shape([], new Map());

/** A shape taken once and reused to build many maps with the same names (SlotMap.withShape). */
export type SlotShape = Shape;

/**
 * The shape of a map that had `names` added in this order, or undefined when such a map has
 * no shape (a repeated name, too many names or shapes): build that one with `set`.
 */
export function slotShape(names: readonly string[]): SlotShape | undefined {
  let shape: Shape | undefined = ROOT;
  for (const name of names) {
    if (shape.index.has(name)) return undefined;
    shape = shape.with(name);
    if (shape === undefined) return undefined;
  }
  return shape;
}

/**
 * A Map<string, number> with Map's semantics (insertion order, NaN allowed, `set` returns the
 * map, entries added during `forEach` are visited) stored as a shared shape plus one array of
 * numbers. `delete` (rare) and unusual name sequences switch it to an internal real Map.
 */
export class SlotMap implements Map<string, number> {
  private shape: Shape = ROOT;
  private vals: number[] = [];
  private dict: Map<string, number> | undefined;

  /** A map with the names of `shape` and their values `vals` (taken, not copied; same length). */
  static withShape(shape: SlotShape, vals: number[]): SlotMap {
    if (vals.length !== shape.names.length) {
      throw new RangeError(`${vals.length} values for a shape of ${shape.names.length} names`);
    }
    const m = new SlotMap();
    m.shape = shape;
    m.vals = vals;
    return m;
  }

  get size(): number {
    return this.dict !== undefined ? this.dict.size : this.vals.length;
  }

  get(name: string): number | undefined {
    if (this.dict !== undefined) return this.dict.get(name);
    const i = this.shape.index.get(name);
    return i === undefined ? undefined : this.vals[i];
  }

  has(name: string): boolean {
    if (this.dict !== undefined) return this.dict.has(name);
    return this.shape.index.has(name);
  }

  set(name: string, value: number): this {
    if (this.dict !== undefined) {
      this.dict.set(name, value);
      return this;
    }
    const i = this.shape.index.get(name);
    if (i !== undefined) {
      this.vals[i] = value;
      return this;
    }
    const next = this.shape.with(name);
    if (next === undefined) this.toDict().set(name, value);
    else {
      this.shape = next;
      this.vals.push(value);
    }
    return this;
  }

  delete(name: string): boolean {
    if (!this.has(name)) return false;
    return this.toDict().delete(name);
  }

  clear(): void {
    this.shape = ROOT;
    this.vals = [];
    this.dict = undefined;
  }

  forEach(
    cb: (value: number, name: string, map: Map<string, number>) => void,
    thisArg?: unknown,
  ): void {
    let i = 0;
    let shape = this.shape;
    // Reads the length and the shape each time: entries added by `cb` are visited, as in Map.
    for (; this.dict === undefined && i < this.vals.length; i++) {
      shape = this.shape;
      cb.call(thisArg, this.vals[i], shape.names[i], this);
    }
    if (this.dict === undefined) return;
    // A real Map from here on (a `delete`, possibly by `cb`): its entries not visited yet, in
    // order. (Unlike a Map, a name deleted and set again after its visit is not visited twice.)
    const visited = new Set(shape.names.slice(0, i));
    for (const [name, value] of this.dict) {
      if (!visited.has(name)) cb.call(thisArg, value, name, this);
    }
  }

  *entries(): MapIterator<[string, number]> {
    if (this.dict !== undefined) {
      yield* this.dict.entries();
      return;
    }
    for (let i = 0; i < this.vals.length; i++) yield [this.shape.names[i], this.vals[i]];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<number> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Map';
  }

  private toDict(): Map<string, number> {
    if (this.dict === undefined) {
      const d = new Map<string, number>();
      for (let i = 0; i < this.vals.length; i++) d.set(this.shape.names[i], this.vals[i]);
      this.dict = d;
      this.shape = ROOT;
      this.vals = [];
    }
    return this.dict;
  }
}
