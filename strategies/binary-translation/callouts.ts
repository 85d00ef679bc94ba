/**
 * Callouts: what the monitor does when translated code reaches a `int 0xf0` site, one
 * handler per {@link CalloutKind}. Most reuse the shared emulation of the instruction
 * ({@link EMULATIONS}, the same code trap-and-emulate runs after a trap); a callout is
 * cheaper than a trap because it is a planned transfer into the monitor with the
 * instruction already decoded by the translator, not an exception to be classified.
 * @category Binary translation
 */
import type { Instruction } from '../../core/isa/codec';
import { Vector, type Mnemonic } from '../../core/isa/table';
import { EMULATIONS, type Emulated } from '../shared/monitor';
import type { BtMonitor } from './monitor';
import type { PlacedSite } from './translation-cache';
import type { CalloutKind } from './translator';

/** A callout site, with the unit it belongs to. */
export type CalloutSite = Extract<PlacedSite, { kind: 'callout' }>;

/** What a callout handler tells the monitor: the shared emulation outcomes. */
export type CalloutResult = Emulated;

/** A callout handler. */
export type CalloutHandler = (bt: BtMonitor, site: CalloutSite) => CalloutResult;

const NEXT: CalloutResult = { kind: 'next' };
const ud: CalloutResult = { kind: 'fault', vector: Vector.invalidOpcode, errorCode: 0 };
const gp: CalloutResult = { kind: 'fault', vector: Vector.generalProtection, errorCode: 0 };

/** The shared emulation of the site's instruction, as trap-and-emulate runs it after a trap. */
const shared =
  (mnemonic: Mnemonic): CalloutHandler =>
  (bt, site) => {
    const emulate = EMULATIONS[mnemonic];
    if (!emulate || site.instruction === null) throw new Error(`internal error: no emulation of '${mnemonic}'`);
    return emulate({ m: bt.m, v: bt.v, mem: bt.mem, pager: bt.pager, i: site.instruction, next: site.guestNext, monitor: bt.shared });
  };

/** A store retranslated by adaptive BT: validated through the pager when it hits a guest page table, else done as is. */
const pteWrite: CalloutHandler = (bt, site) => {
  const i = site.instruction as Instruction;
  const m = bt.m;
  const address = (m.regs[i.rb] + i.imm) | 0;
  const size = i.mnemonic === 'stb' ? 1 : 4;
  const value = size === 1 ? m.regs[i.ra] & 0xff : m.regs[i.ra];
  const traced = bt.validatedStore(address, value, size);
  if (traced === null) return { kind: 'jumped' }; // a guest fault was delivered
  bt.adaptive.onCalloutWrite(bt.cache, site.guestPc, traced, site.unit);
  return NEXT;
};

/** The guest kernel's own INT n: delivered through its table, returning after the INT (a gate not present, or for a less privileged ring, is a #GP at the INT, as natively). */
const softwareInterrupt: CalloutHandler = (bt, site) => {
  bt.shared.softwareInterrupt((site.instruction as Instruction).imm12 & 0xff, site.guestPc, site.guestNext);
  return { kind: 'jumped' };
};

/** HLT: stop the machine with virtual interrupts off; else wait for a virtual interrupt. */
const hlt: CalloutHandler = (bt, site) => {
  if (!bt.v.interruptsEnabled) {
    bt.m.stop({ kind: 'halted', pc: site.guestPc });
    return NEXT;
  }
  bt.v.halted = true;
  // the machine waits for a real interrupt unless a virtual one can be delivered at once
  if (!bt.shared.hasDeliverable()) bt.m.halted = true;
  return NEXT;
};

/** Handlers by callout kind. */
export const CALLOUT_HANDLERS: Readonly<Record<CalloutKind, CalloutHandler>> = {
  in: shared('in'),
  out: shared('out'),
  wrcr: shared('wrcr'),
  invlpg: shared('invlpg'),
  pushf: shared('pushf'),
  popf: shared('popf'),
  sti: shared('sti'),
  iret: shared('iret'),
  hlt,
  int: softwareInterrupt,
  vmcall: () => ud,
  sysenter: (bt, site) => {
    // the guest kernel's own SYSENTER (ring 0 may use it too): into its entry point
    bt.shared.sysenter(site.guestPc);
    return { kind: 'jumped' };
  },
  sysexit: shared('sysexit'),
  invalid: () => ud,
  privileged: () => gp,
  'pte-write': pteWrite,
};
