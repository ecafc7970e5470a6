/**
 * One stored series: a plain or labeled metric of one entity. Holds its raw head chunk's arena
 * slot (cached, valid while `slotGen` equals the raw tier's generation) and the open hour roll-up
 * accumulator (`hStart` NaN when empty). Strings are interned by the store.
 */
export class Series {
  lastMs = -Infinity;
  slot = -1;
  slotGen = -1;
  /** WAL segment generation in which this series was last defined. */
  walGen = -1;
  hStart = NaN;
  hMin = 0;
  hMax = 0;
  hSum = 0;
  hCount = 0;

  constructor(
    readonly id: number,
    readonly key: string,
    readonly metric: string,
    /** `labelsKey()` of a labeled value's labels; undefined for a plain metric. */
    readonly labels: string | undefined,
  ) {}
}
