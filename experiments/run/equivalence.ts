/**
 * Popek & Goldberg's equivalence property for one run: the guest-visible outcome (console
 * output, exit code, digest of the declared result) against native's, and the first
 * difference found.
 * @category Runner
 */

/** What the guest computed: the part of a run that equivalence compares. */
export interface Outcome {
  readonly console: string;
  readonly exitCode: number | null;
  readonly digest: string;
  /** modelled cycles of the complete measured region, NaN without one */
  readonly regionCycles: number;
  /** the first divergence the strategy itself observed */
  readonly divergence?: string | null;
}

/** The first difference between an outcome and native's, or null. */
export const divergence = (native: Outcome, o: Outcome): string | null => {
  if (o.divergence) return o.divergence;
  if (o.console !== native.console) {
    let i = 0;
    while (i < o.console.length && o.console[i] === native.console[i]) i++;
    return `console output differs at byte ${i}: native ${JSON.stringify(native.console.slice(i, i + 40))}, got ${JSON.stringify(o.console.slice(i, i + 40))}`;
  }
  if (o.exitCode !== native.exitCode) return `exit code differs: native ${native.exitCode}, got ${o.exitCode}`;
  if (o.digest !== native.digest) return `result digest differs: native ${native.digest.slice(0, 16)}..., got ${o.digest.slice(0, 16)}...`;
  return null;
};
