/**
 * Physical memory: one little-endian byte array with a 32-bit word view on the same buffer.
 * @category MMU
 */

/** Physical RAM. */
export class PhysicalMemory {
  /** bytes */
  readonly u8: Uint8Array;
  /** aligned 32-bit words (index = address >>> 2) */
  readonly i32: Int32Array;
  /** size in bytes */
  readonly size: number;

  /** Zeroed memory of `size` bytes: a fresh buffer, or a released one of that size cleared (see {@link releaseMemory}). */
  constructor(size: number) {
    if (size <= 0 || size % 4096 !== 0) throw new RangeError(`memory size must be a positive multiple of 4096, got ${size}`);
    this.size = size;
    this.u8 = reuse(size) ?? new Uint8Array(size);
    this.i32 = new Int32Array(this.u8.buffer);
  }

  /** Read a 32-bit word at any byte address inside memory. */
  read32(pa: number): number {
    if ((pa & 3) === 0) return this.i32[pa >>> 2];
    const b = this.u8;
    return b[pa] | (b[pa + 1] << 8) | (b[pa + 2] << 16) | (b[pa + 3] << 24);
  }

  /** Write a 32-bit word at any byte address inside memory. */
  write32(pa: number, v: number): void {
    if ((pa & 3) === 0) {
      this.i32[pa >>> 2] = v;
      return;
    }
    const b = this.u8;
    b[pa] = v;
    b[pa + 1] = v >>> 8;
    b[pa + 2] = v >>> 16;
    b[pa + 3] = v >>> 24;
  }

  /** Copy bytes into memory at `pa`. */
  load(pa: number, bytes: Uint8Array): void {
    if (pa < 0 || pa + bytes.length > this.size)
      throw new RangeError(`image of ${bytes.length} bytes at 0x${pa.toString(16)} does not fit in ${this.size} bytes of memory`);
    this.u8.set(bytes, pa);
  }
}

/**
 * Buffers of finished machines, by size, for the next machine of that size: one run after
 * another (a fuzzer's thousands) then allocates, faults in and collects no fresh tens of
 * megabytes each. Host memory only: a reused buffer is cleared, so a machine sees zeroed
 * memory either way.
 */
const released = new Map<number, Uint8Array>();

/** Sizes kept at most (one buffer each). */
const MAX_RELEASED_SIZES = 8;

/** A released buffer of `size` bytes, cleared, or undefined if none. */
const reuse = (size: number): Uint8Array | undefined => {
  const u8 = released.get(size);
  if (u8 === undefined) return undefined;
  released.delete(size);
  u8.fill(0);
  return u8;
};

/**
 * Give `memory`'s buffer back for the next machine of its size. Only for a machine that is
 * finished: nothing may read or write `memory` (or a view of its buffer) afterwards.
 */
export const releaseMemory = (memory: PhysicalMemory): void => {
  if (released.has(memory.size) || released.size < MAX_RELEASED_SIZES) released.set(memory.size, memory.u8);
};
