/**
 * Counters of the hybrid VMM's cluster engine, with their pricing. The translation itself
 * (units, guest instructions translated, lookups, flushes, invalidations) and the callouts
 * are binary translation's counters (BT_COUNTERS), priced as there.
 * @category Hybrid
 */
import { count, free, priced, tally, type CounterTable } from '../../core/cost/counters';

/** What the cluster engine counts. */
export const HYBRID_COUNTERS = {
  'hybrid.exitsAvoided': tally(
    'exiting guest instructions run as callouts in a cluster instead of exiting, by instruction',
    free('an exit that did not happen; the callout that replaced it is priced (callouts)'),
  ),
  'hybrid.clusters': count('clusters formed: translations from an exiting instruction with another one after it (or a loop back to it)', free('priced per guest instruction translated')),
  'hybrid.clusterInstructions': count('guest instructions in the clusters formed (their length)', free('a size, for the mean cluster length')),
  'hybrid.clusterExits': count('exiting instructions in the clusters formed', free('a size, for the exits a cluster covers')),
  'hybrid.clusterRuns': count(
    'times the VMM ran a cluster in root mode after an exit instead of resuming the guest',
    priced('callout', 'translated cluster entries'),
  ),
  'hybrid.returns': tally(
    'returns from a cluster to hardware execution, by why (a continuation, an instruction not emulated, a fault, an interrupt)',
    free('the VM entry that follows belongs to the exit round trip already priced; the guest RIP written is a counted VMCS access'),
  ),
} as const satisfies CounterTable;
