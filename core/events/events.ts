/**
 * Architectural events: everything the machine does that a strategy or the cost model may
 * count. Frequent events (instructions retired, TLB lookups, page-walk references) are
 * counted in place by the machine; discrete events are emitted as values of
 * {@link MachineEvent} to one {@link EventSink}.
 * @category Events
 */
import { count, free, priced, tally, type CounterTable } from '../cost/counters';
import type { Ledger } from '../cost/ledger';
import { crDetail, detailNames } from '../cost/detail-names';
import type { VmExit } from '../vmx/exits';

/** A discrete event; `t` is machine time (instructions retired plus halted time). */
export type MachineEvent =
  | { readonly kind: 'exception'; readonly t: number; readonly vector: number; readonly errorCode: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'interrupt'; readonly t: number; readonly vector: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'software-interrupt'; readonly t: number; readonly vector: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'iret'; readonly t: number; readonly fromCpl: number; readonly toCpl: number }
  /** SYSENTER into ring 0 and SYSEXIT back to ring 3 (fast system calls) */
  | { readonly kind: 'sysenter'; readonly t: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'sysexit'; readonly t: number; readonly pc: number }
  /** a port access; `emulated` when a VMM's device model serves the guest's access in software */
  | { readonly kind: 'io'; readonly t: number; readonly port: number; readonly direction: 'in' | 'out'; readonly value: number; readonly emulated: boolean }
  | { readonly kind: 'tlb-flush'; readonly t: number; readonly cause: 'cr3-write' | 'paging-toggle' | 'vm-transition' | 'explicit' }
  | { readonly kind: 'invlpg'; readonly t: number; readonly address: number }
  | { readonly kind: 'control-register-write'; readonly t: number; readonly cr: number; readonly value: number }
  | { readonly kind: 'halt'; readonly t: number; readonly pc: number }
  /** an inter-processor interrupt sent on IRQ `line` to the CPU with index `target` */
  | { readonly kind: 'ipi'; readonly t: number; readonly line: number; readonly target: number }
  | { readonly kind: 'vm-entry'; readonly t: number }
  | { readonly kind: 'vm-exit'; readonly t: number; readonly exit: VmExit }
  | { readonly kind: 'region'; readonly t: number; readonly mark: 'start' | 'end' }
  /** a software monitor took a trap (its own work is counted in the VMM events) */
  | { readonly kind: 'monitor-trap'; readonly t: number; readonly cause: string; readonly pc: number }
  /**
   * a sensitive-but-unprivileged instruction ran outside ring 0 without trapping; `value` is
   * what it pushed, popped (the flags) or read. A monitor compares it with its virtual CPU
   * to find where equivalence broke.
   */
  | { readonly kind: 'sensitive'; readonly t: number; readonly mnemonic: 'pushf' | 'popf' | 'iret' | 'sidt' | 'smsw' | 'rdcpl'; readonly pc: number; readonly cpl: number; readonly value: number };

/** Kind of a discrete event. */
export type MachineEventKind = MachineEvent['kind'];

/**
 * The machine's counters: every architectural event, with how it is priced. Instructions
 * and the MMU's lookups are counted in place by the interpreter and the MMU and folded in
 * when the CPU synchronises its ledger; everything else is an emitted event.
 */
export const MACHINE_COUNTERS = {
  instructions: tally('guest instructions retired, by CPL', priced('instruction', 'guest instructions')),
  'instructions.nonRoot': count('instructions retired in VMX non-root mode', free('also counted in instructions')),
  'tlb.hits': count('TLB lookups that hit', free('a hit is part of the instruction')),
  'tlb.misses': count('TLB lookups that missed', free('priced per walk reference (tlb.walkReferences)')),
  'tlb.walkReferences': count('memory references of page walks', priced('pageWalkReference', 'page walks')),
  'tlb.flushes': count('full TLB flushes (cr3 writes, paging toggles, a VMM\'s explicit flushes)', priced('tlbFlush', 'TLB flushes')),
  'tlb.transitionFlushes': count('TLB flushes by VM entries and exits on CPUs without tagged TLBs (VPID/ASID)', free('part of the measured VM exit/entry round trip (vm.exits)')),
  exceptions: tally('exceptions delivered through the IDT, by vector', priced('exceptionDelivery', 'exceptions')),
  interrupts: tally('external interrupts delivered through the IDT, by vector', priced('exceptionDelivery', 'interrupts')),
  softwareInterrupts: tally('INT n delivered through the IDT, by vector', priced('softwareInterrupt', 'system calls')),
  irets: count('interrupt returns', priced('iret', 'interrupt returns')),
  sysenters: count('fast system-call entries (SYSENTER)', priced('sysenter', 'system calls')),
  sysexits: count('fast system-call returns (SYSEXIT)', priced('sysexit', 'system calls')),
  'tlb.invlpg': count('single-page TLB invalidations (INVLPG)', priced('privilegedInstruction', 'privileged instructions')),
  'io.in': tally('port reads by the hardware, by port', priced('ioPort', 'port I/O')),
  'io.out': tally('port writes by the hardware, by port', priced('ioPort', 'port I/O')),
  'io.emulated': tally("port accesses a VMM's device model served in software (the front end)", free('the VMM counts its emulation work; the back end is io.backend')),
  'io.backend': tally('physical device accesses the host makes for emulated ones (the device back end), by port', priced('ioPort', 'device back end')),
  controlRegisterWrites: tally('control-register writes, by register', priced('privilegedInstruction', 'privileged instructions')),
  'ipis.sent': tally('inter-processor interrupts sent, one per destination, by IRQ line', priced('ipiSend', 'IPIs')),
  'ipis.received': tally('inter-processor interrupts received, by IRQ line', free('delivered as an interrupt (interrupts)')),
  'spin.pauses': count('PAUSE spin-wait hints retired', priced('pause', 'spin-wait')),
  halts: count('HLT instructions', free('the time spent halted is counted in idleCycles')),
  idleCycles: count('cycles spent halted (HLT), waiting for an interrupt', priced('idleCycle', 'halted')),
  'vm.entries': count('VM entries', free('part of the exit/entry round trip (vm.exits)')),
  'vm.exits': tally('VM exits, by reason', priced('vmExitRoundTrip', 'VM exits')),
  sensitive: tally('sensitive-but-unprivileged instructions run outside ring 0, by mnemonic', free('an ordinary instruction')),
  monitorTraps: tally('traps a software monitor took instead of the guest table, by cause', free('the monitor counts and prices its own traps')),
} as const satisfies CounterTable;

/** The emulated-port tally's details, by direction and port. */
const EMULATED_IN = detailNames((port: number) => `in ${port}`);
const EMULATED_OUT = detailNames((port: number) => `out ${port}`);

/** Where each discrete event is counted, one handler per kind. */
const counters: { [K in MachineEventKind]: (l: Ledger, e: Extract<MachineEvent, { kind: K }>) => void } = {
  exception: (l, e) => l.tally('exceptions', e.vector),
  interrupt: (l, e) => l.tally('interrupts', e.vector),
  'software-interrupt': (l, e) => l.tally('softwareInterrupts', e.vector),
  iret: (l) => l.count('irets'),
  sysenter: (l) => l.count('sysenters'),
  sysexit: (l) => l.count('sysexits'),
  io: (l, e) => (e.emulated ? l.tally('io.emulated', (e.direction === 'in' ? EMULATED_IN : EMULATED_OUT)(e.port)) : l.tally(e.direction === 'in' ? 'io.in' : 'io.out', e.port)),
  'tlb-flush': (l, e) => l.count(e.cause === 'vm-transition' ? 'tlb.transitionFlushes' : 'tlb.flushes'),
  invlpg: (l) => l.count('tlb.invlpg'),
  'control-register-write': (l, e) => l.tally('controlRegisterWrites', crDetail(e.cr)),
  halt: (l) => l.count('halts'),
  ipi: (l, e) => l.tally('ipis.sent', e.line),
  'vm-entry': (l) => l.count('vm.entries'),
  'vm-exit': (l, e) => l.tally('vm.exits', e.exit.reason),
  region: () => undefined,
  sensitive: (l, e) => l.tally('sensitive', e.mnemonic),
  'monitor-trap': (l, e) => l.tally('monitorTraps', e.cause),
};

/** A listener for discrete events (tracing, strategies). */
export type EventListener = (e: MachineEvent) => void;

/**
 * The one event sink of a CPU: counts (and so prices) every event in the CPU's ledger and
 * forwards discrete events to listeners. A run without listeners pays only for the counting.
 */
export class EventSink {
  private readonly listeners: EventListener[] = [];

  constructor(
    /** where events are counted and priced */
    readonly ledger: Ledger,
  ) {}

  /** Add a listener; returns a function that removes it. */
  listen(l: EventListener): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Record a discrete event. */
  emit(e: MachineEvent): void {
    (counters[e.kind] as (l: Ledger, e: MachineEvent) => void)(this.ledger, e);
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](e);
  }
}
