/**
 * Architectural events: everything the machine does that a strategy or the cost model may
 * count. Frequent events (instructions retired, TLB lookups, page-walk references) are
 * counted in place by the machine; discrete events are emitted as values of
 * {@link MachineEvent} to one {@link EventSink}.
 * @category Events
 */
import type { VmExit } from '../vmx/exits';

/** A discrete event; `t` is machine time (instructions retired plus halted time). */
export type MachineEvent =
  | { readonly kind: 'exception'; readonly t: number; readonly vector: number; readonly errorCode: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'interrupt'; readonly t: number; readonly vector: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'software-interrupt'; readonly t: number; readonly vector: number; readonly pc: number; readonly cpl: number }
  | { readonly kind: 'iret'; readonly t: number; readonly fromCpl: number; readonly toCpl: number }
  /** a port access; `emulated` when a VMM's device model serves the guest's access in software */
  | { readonly kind: 'io'; readonly t: number; readonly port: number; readonly direction: 'in' | 'out'; readonly value: number; readonly emulated: boolean }
  | { readonly kind: 'tlb-flush'; readonly t: number; readonly cause: 'cr3-write' | 'paging-toggle' | 'vm-transition' | 'explicit' }
  | { readonly kind: 'invlpg'; readonly t: number; readonly address: number }
  | { readonly kind: 'control-register-write'; readonly t: number; readonly cr: number; readonly value: number }
  | { readonly kind: 'halt'; readonly t: number; readonly pc: number }
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

/** Counts keyed by a cause (vector, port, reason ...). */
export type Breakdown = Record<string, number>;

/** Everything counted during a run. Plain data, JSON-serialisable. */
export interface EventCounts {
  /** instructions retired by CPL (index 0-3) */
  retiredByRing: number[];
  /** instructions retired in VMX non-root mode (also included in retiredByRing) */
  retiredNonRoot: number;
  exceptions: Breakdown;
  interrupts: Breakdown;
  softwareInterrupts: Breakdown;
  irets: number;
  tlb: { hits: number; misses: number; walkReferences: number; flushes: number; invlpg: number };
  /** device accesses by port: `in`/`out` by the hardware, `emulated` by a VMM's device models (key 'in N' / 'out N') */
  io: { in: Breakdown; out: Breakdown; emulated: Breakdown };
  controlRegisterWrites: Breakdown;
  halts: number;
  vm: { entries: number; exits: Breakdown };
  /** sensitive-but-unprivileged instructions run outside ring 0, by mnemonic */
  sensitive: Breakdown;
  /** traps a software monitor took instead of the guest's table, by cause (priced as VMM events, not here) */
  monitorTraps: Breakdown;
}

/** Fresh zeroed counts. */
export const emptyCounts = (): EventCounts => ({
  retiredByRing: [0, 0, 0, 0],
  retiredNonRoot: 0,
  exceptions: {},
  interrupts: {},
  softwareInterrupts: {},
  irets: 0,
  tlb: { hits: 0, misses: 0, walkReferences: 0, flushes: 0, invlpg: 0 },
  io: { in: {}, out: {}, emulated: {} },
  controlRegisterWrites: {},
  halts: 0,
  vm: { entries: 0, exits: {} },
  sensitive: {},
  monitorTraps: {},
});

const bump = (b: Breakdown, key: string | number): void => {
  b[key] = (b[key] ?? 0) + 1;
};

/** Handlers that fold each discrete event into the counts, one per kind. */
const counters: { [K in MachineEventKind]: (c: EventCounts, e: Extract<MachineEvent, { kind: K }>) => void } = {
  exception: (c, e) => bump(c.exceptions, e.vector),
  interrupt: (c, e) => bump(c.interrupts, e.vector),
  'software-interrupt': (c, e) => bump(c.softwareInterrupts, e.vector),
  iret: (c) => void c.irets++,
  io: (c, e) => bump(e.emulated ? c.io.emulated : c.io[e.direction], e.emulated ? `${e.direction} ${e.port}` : e.port),
  'tlb-flush': (c) => void c.tlb.flushes++,
  invlpg: (c) => void c.tlb.invlpg++,
  'control-register-write': (c, e) => bump(c.controlRegisterWrites, `cr${e.cr}`),
  halt: (c) => void c.halts++,
  'vm-entry': (c) => void c.vm.entries++,
  'vm-exit': (c, e) => bump(c.vm.exits, e.exit.reason),
  region: () => undefined,
  sensitive: (c, e) => bump(c.sensitive, e.mnemonic),
  'monitor-trap': (c, e) => bump(c.monitorTraps, e.cause),
};

/** A listener for discrete events (tracing, strategies). */
export type EventListener = (e: MachineEvent) => void;

/**
 * The one event sink of a machine: counts every event and forwards discrete events to
 * listeners. A run without listeners pays only for the counting.
 */
export class EventSink {
  /** the counts so far */
  readonly counts: EventCounts = emptyCounts();
  private readonly listeners: EventListener[] = [];

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
    (counters[e.kind] as (c: EventCounts, e: MachineEvent) => void)(this.counts, e);
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](e);
  }
}
