/**
 * The VMM's accesses to the VMCS (VT-x's VMREAD and VMWRITE), counted by field in the
 * handlers that really need them and priced per profile, so the handler cost of a
 * first-generation hardware VMM emerges from what each handler does: every exit reads its
 * reason; an exit that skips the instruction reads its length and the guest RIP and writes
 * the RIP back; an injection writes the entry interruption information. General-purpose
 * registers other than RSP are not VMCS fields: the VMM saves them itself, at no VMCS cost.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';
import { priced, tally, type CounterTable } from '../../core/cost/counters';
import { VMCB_FIELD } from './vmcb-access';

/** The VMCS fields the handlers read or write. */
export type VmcsField =
  | 'exit reason'
  | 'exit qualification'
  | 'instruction length'
  | 'instruction information'
  | 'guest RIP'
  | 'guest CR3'
  | 'CR0 read shadow'
  | 'guest IDTR base'
  | 'guest activity state'
  | 'guest-physical address'
  | 'exit interruption information'
  | 'exit interruption error code'
  | 'IDT-vectoring information'
  | 'entry interruption information'
  | 'entry exception error code'
  | 'processor-based controls';

/** Counters of VMCS accesses. */
export const VMCS_COUNTERS = {
  'vmcs.reads': tally('VMREADs of VMCS fields by the VMM, by field', priced('vmcsRead', 'VMCS accesses')),
  'vmcs.writes': tally('VMWRITEs of VMCS fields by the VMM, by field', priced('vmcsWrite', 'VMCS accesses')),
} as const satisfies CounterTable;

/** CPUs whose control block is an AMD VMCB (set up by the AMD-V VMM, one CPU at a time). */
const vmcbCpus = new WeakSet<Cpu>();

/** From now on this CPU's control block is a VMCB: the handlers' accesses are VMCB loads and stores (vmcb-access.ts). */
export const useVmcb = (cpu: Cpu): void => {
  vmcbCpus.add(cpu);
};

/** The counters of control-block accesses (names as constants: one built per access is hashed each time). */
const COUNTER = {
  vmcs: { reads: 'vmcs.reads', writes: 'vmcs.writes' },
  vmcb: { reads: 'vmcb.reads', writes: 'vmcb.writes' },
} as const;

/** Count accesses of the control block's fields: VMREAD/VMWRITE of a VMCS, or the VMCB fields holding the same. */
const access = (cpu: Cpu, fields: readonly VmcsField[], kind: 'reads' | 'writes'): void => {
  const vmcb = vmcbCpus.has(cpu);
  const counter = COUNTER[vmcb ? 'vmcb' : 'vmcs'][kind];
  for (const f of fields) {
    if (!vmcb) cpu.ledger.tally(counter, f);
    else if (VMCB_FIELD[f] !== null) cpu.ledger.tally(counter, VMCB_FIELD[f]);
  }
};

/** The VMM reads these fields. */
export const vmread = (cpu: Cpu, ...fields: readonly VmcsField[]): void => access(cpu, fields, 'reads');

/** The VMM writes these fields. */
export const vmwrite = (cpu: Cpu, ...fields: readonly VmcsField[]): void => access(cpu, fields, 'writes');
