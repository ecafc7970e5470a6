// snappyjs ships no types. Block (not framed) snappy, as Prometheus remote write uses.
declare module 'snappyjs' {
  /** Compresses `data` into one snappy block. */
  export function compress(data: Uint8Array): Uint8Array;
  /** Decompresses one snappy block. */
  export function uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}
