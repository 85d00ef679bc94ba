/**
 * The median of the bench's repeated measurements.
 * @category Bench
 */

/** The median of `xs` (the mean of the middle two for an even count); `xs` is not changed. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
