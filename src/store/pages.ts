// The page geometry of the store's growing typed arrays (per-series columns, the raw tier's
// per-row slots, the chunk arena's slot state). They grow by adding pages instead of copying
// into one larger array: copying into fresh memory (page faults) cost seconds while a large
// cluster's millions of series first appeared. Index `i` is at page `i >>> PAGE_BITS`,
// position `i & PAGE_MASK`.
export const PAGE_BITS = 14;
export const PAGE_SIZE = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SIZE - 1;
