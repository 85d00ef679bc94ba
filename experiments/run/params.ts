/**
 * Workload parameters of a run: defaults filled in, unknown names and out-of-range values
 * refused with the valid ones named.
 * @category Runner
 */
import { left, right, type Either } from 'fp-ts/Either';
import { WORKLOADS } from '../../core/guest/workloads';

/** Resolve workload parameters: defaults filled, unknown names and out-of-range values refused. */
export const resolveParams = (workload: string, given: Readonly<Record<string, number>>): Either<string[], Record<string, number>> => {
  const w = (WORKLOADS as Record<string, (typeof WORKLOADS)[keyof typeof WORKLOADS]>)[workload];
  if (!w) return left([`unknown workload '${workload}'; valid workloads: ${Object.keys(WORKLOADS).join(', ')}`]);
  const errors: string[] = [];
  const out: Record<string, number> = {};
  for (const k of Object.keys(given))
    if (!(k in w.params)) errors.push(`workload '${workload}' has no parameter '${k}'; its parameters: ${Object.keys(w.params).join(', ')}`);
  for (const [k, p] of Object.entries(w.params) as [string, { default: number; min: number; max: number }][]) {
    const v = given[k] ?? p.default;
    if (!Number.isInteger(v) || v < p.min || v > p.max)
      errors.push(`parameter ${k}=${v} of workload '${workload}' is out of range: expected an integer from ${p.min} to ${p.max}`);
    else out[k] = v;
  }
  return errors.length > 0 ? left(errors) : right(out);
};
