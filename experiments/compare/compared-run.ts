/**
 * One run of the default comparison: a configuration on a workload, as the main thread plans
 * it and a worker thread makes it.
 * @category Experiments
 */
import type { Engine } from '../../core/cpu/engine';
import type { IsaVariant } from '../../core/isa/variant';

/** One run of the comparison: its place in the results, its configuration's label and what runOne needs. */
export interface ComparedRun {
  readonly index: number;
  readonly label: string;
  readonly strategy: string;
  readonly options: Record<string, string>;
  readonly workload: string;
  readonly profile: string;
  readonly isa: IsaVariant;
  readonly engine?: Engine;
}
