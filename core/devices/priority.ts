/**
 * The interrupt-priority rule, in one place: an interrupt is recognised only if its priority
 * class (vector >> 4) is above the task priority (cr8, x86's TPR), and among several pending
 * interrupts the highest priority (lowest vector) goes first. The CPU applies it to real
 * interrupts; VMMs apply the same rule to the virtual interrupts they hold for a guest.
 * @category Devices
 */

/** Whether an interrupt with this vector is recognised at task priority `tpr` (the low 4 bits count). */
export const aboveTaskPriority = (vector: number, tpr: number): boolean => vector >> 4 > (tpr & 15);

/** Index in `pending` of the vector to deliver next at task priority `tpr` (lowest vector above it), or -1. */
export const nextPending = (pending: readonly number[], tpr: number): number => {
  let best = -1;
  for (let k = 0; k < pending.length; k++)
    if (aboveTaskPriority(pending[k], tpr) && (best < 0 || pending[k] < pending[best])) best = k;
  return best;
};
