/**
 * Reference implementations of the workloads' computations (lib/hash.s): what `compute`,
 * `compile` and `io` must report, computed in TypeScript.
 * @category Guest
 */

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
const fnvMix = (h: number, v: number): number => Math.imul(h ^ v, FNV_PRIME);
const xorshift32 = (s: number): number => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return s | 0;
};
const mixSteps = (h: number, s: number, steps: number): [number, number] => {
  for (let i = 0; i < steps; i++) {
    s = xorshift32(s);
    h = fnvMix(h, s & 0xffff);
  }
  return [h, s];
};
const primesBelow = (limit: number): number => {
  const a = new Uint8Array(limit).fill(1);
  let count = 0;
  for (let p = 2; p < limit; p++) {
    if (!a[p]) continue;
    count++;
    for (let m = p * p; m < limit; m += p) a[m] = 0;
  }
  return count;
};

/** The checksum of `compute` with parameter n. */
export const computeChecksum = (n: number): number => {
  let h = FNV_OFFSET;
  let s = 0x12345678;
  for (let r = 0; r < n; r++) {
    h = fnvMix(h, primesBelow(1000 + 4 * (r & 255)));
    [h, s] = mixSteps(h, s, 64);
  }
  return h >>> 0;
};

/** The checksum of `compile` with parameter n. */
export const compileChecksum = (n: number): number => {
  let h = FNV_OFFSET;
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    [h, s] = mixSteps(h, s, 256);
    s ^= (h + 508) | 0;
  }
  return h >>> 0;
};

/** The sum of the words `io` reads back with parameter n. */
export const ioChecksum = (n: number): number => {
  let sum = 0;
  for (let sector = 0; sector < n; sector++)
    for (let j = 0; j < 128; j++) sum = (sum + (((sector << 16) ^ j ^ 0x5a5a0000) >>> 0)) >>> 0;
  return sum;
};

/** The pcompute workload's total: the sum (mod 2^32) over items i < n of 16 xorshift rounds from i + 1. */
export const pcomputeChecksum = (n: number): number => {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let x = (i + 1) | 0;
    for (let r = 0; r < 16; r++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    total = (total + x) | 0;
  }
  return total >>> 0;
};

/** Items each pio iteration hashes (PIO_ITEMS in workloads/pio.s). */
export const PIO_ITEMS = 8192;

/**
 * pio's checksum for n iterations of `threads` threads: for each iteration, the sum of its
 * items' 16 xorshift rounds, xor 127 (the last word of the sector written and read back).
 */
export const pioChecksum = (n: number, threads: number): number => {
  let total = 0;
  for (let t = 0; t < threads; t++)
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < PIO_ITEMS; k++) {
        let x = ((t << 20) + (i << 10) + k + 1) | 0;
        for (let r = 0; r < 16; r++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
        }
        sum = (sum + x) | 0;
      }
      total = (total + (sum ^ 127)) | 0;
    }
  return total >>> 0;
};
