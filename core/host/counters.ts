/**
 * What the host counts in a vCPU's ledger (declared with their pricing, like every counter).
 * @category Host
 */
import { priced, tally, type CounterTable } from '../cost/counters';

/** The host's counters. */
export const HOST_COUNTERS: CounterTable = {
  'host.vmSwitches': tally(
    'placements of a vCPU on a logical CPU that last ran another VM, by logical CPU: the exit and entry around the switch; without tagged TLBs (no VPID or ASID: the Intel profiles without nested paging) the TLB is flushed too, its refill counted as walk references',
    priced('vmSwitch', 'VM switches'),
  ),
};
