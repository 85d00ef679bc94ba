/**
 * The AMD-V VMM's accesses to its control block. A VMCB is ordinary memory: the VMM reads
 * the exit code and information and writes the guest's rip or the event to inject with
 * plain loads and stores, no VMREAD/VMWRITE. The shared exit handlers name the VMCS fields
 * they need (vmcs-access.ts); on a CPU whose control block is a VMCB each is counted as an
 * access of the VMCB field that holds the same information, and priced as a memory access
 * (`vmcbAccess`). A VMCS field with no VMCB counterpart needs no access at all.
 * @category Strategies
 */
import { priced, tally, type CounterTable } from '../../core/cost/counters';
import type { VmcsField } from './vmcs-access';

/** Counters of VMCB accesses. */
export const VMCB_COUNTERS = {
  'vmcb.reads': tally('reads of VMCB fields by the AMD-V VMM (ordinary loads), by field', priced('vmcbAccess', 'VMCB accesses')),
  'vmcb.writes': tally('writes of VMCB fields by the AMD-V VMM (ordinary stores), by field', priced('vmcbAccess', 'VMCB accesses')),
} as const satisfies CounterTable;

/** The VMCB field (APM vol. 2, appendix B) that holds what each VMCS field holds, or null if none is needed. */
export const VMCB_FIELD: Readonly<Record<VmcsField, string | null>> = {
  'exit reason': 'EXITCODE',
  'exit qualification': 'EXITINFO1',
  // IOIO exits give the next rip in EXITINFO2; other exits' lengths are the VMM's (no NRIP_SAVE before Family 10h's later parts)
  'instruction length': 'EXITINFO2',
  'instruction information': 'EXITINFO1',
  'guest RIP': 'RIP',
  'guest CR3': 'CR3',
  // a VMCB has no CR0 read shadow: CR0 reads are intercepted instead, nothing to write
  'CR0 read shadow': null,
  'guest IDTR base': 'IDTR.BASE',
  'guest activity state': null,
  'guest-physical address': 'EXITINFO2',
  'exit interruption information': 'EXITINTINFO',
  'exit interruption error code': 'EXITINFO1',
  'IDT-vectoring information': 'EXITINTINFO',
  'entry interruption information': 'EVENTINJ',
  'entry exception error code': 'EVENTINJ.ERRORCODE',
  'processor-based controls': 'intercept vector (VINTR) and V_IRQ',
};
