/**
 * A seeded pseudo-random generator (mulberry32): the fuzzer's programs follow from the seed
 * alone, so a reported program can be regenerated and every run is reproducible.
 * @category Fuzz
 */

/** Uniform numbers in [0, 1) from a 32-bit seed. */
export type Random = () => number;

/** A mulberry32 generator seeded with `seed`. */
export const seededRandom = (seed: number): Random => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** An integer in [0, n). */
export const below = (r: Random, n: number): number => Math.floor(r() * n);

/** One of `xs`. */
export const pick = <T>(r: Random, xs: readonly T[]): T => xs[below(r, xs.length)];
