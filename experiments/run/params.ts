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

/** Parameters of a user program (`run --program`): only n, an unsigned 32-bit integer (default 0), as the workload ABI passes it. */
export const resolveProgramParams = (given: Readonly<Record<string, number>>): Either<string[], Record<string, number>> => {
  const errors = Object.keys(given)
    .filter((k) => k !== 'n')
    .map((k) => `a program given with --program has one parameter, n (passed in r8 by MAIN_ENTER, see core/guest/README.md), not '${k}'`);
  const n = given.n ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) errors.push(`parameter n=${n} is out of range: expected an integer from 0 to 4294967295`);
  return errors.length > 0 ? left(errors) : right({ n });
};
