import type { ChunkEncoder } from './chunk-codec.js';

/**
 * One stored series: a plain or labeled metric of one entity. Holds the raw head encoder
 * (cached, valid while `rawGen` equals the raw tier's generation) and the open hour roll-up
 * accumulator (`hStart` NaN when empty). Strings are interned by the store.
 */
export class Series {
  lastMs = -Infinity;
  raw: ChunkEncoder | undefined = undefined;
  rawGen = -1;
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
