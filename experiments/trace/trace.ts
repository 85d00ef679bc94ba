/**
 * Run traces in the Chrome/Perfetto trace-event format (open in ui.perfetto.dev or
 * chrome://tracing), on the run's modelled time: the cost model applied to every event
 * counted so far (machine and VMM), at the profile's clock. One trace process per vCPU, each
 * on that CPU's clock, with four tracks:
 *
 * - events: each discrete event of the run (traps into a monitor, VM exits and entries,
 *   exceptions, interrupts, system calls, port I/O, TLB flushes, the measured region) as an
 *   instant;
 * - guest: duration slices `kernel` and `user`, the guest's own execution (phases.ts);
 * - VMM: duration slices of the VMM's time, named by what it handled (`VM exit: io`,
 *   `monitor trap: exception 13`, or the VMM cause that dominates, e.g. `VMM: callouts`);
 * - translation: binary translation's time;
 *
 * and two counter tracks: TLB misses and cycles by phase (cumulative). Slice lengths are the
 * cycles the cost model charged to each phase between two consecutive events; inside such an
 * interval the order of the slices is a convention (the VMM first after a VM exit, else
 * last, as a monitor's work ends at its trap event; translation before the guest code it
 * produced). Adjacent slices of one name are joined. Tracing costs a snapshot per event;
 * runs without --trace pay nothing.
 * @category Trace
 */
import * as fs from 'fs';
import type { Cpu } from '../../core/cpu/cpu';

import type { CostProfile } from '../../core/cost/profile';
import type { MachineEvent } from '../../core/events/events';
import { phaseOf, type Phase } from './phases';

/** One Chrome trace event. */
export interface TraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'i' | 'X' | 'B' | 'E' | 'M' | 'C';
  /** microseconds of modelled time */
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly s?: 't' | 'p' | 'g';
  readonly args?: Record<string, unknown>;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** How each machine event kind appears in the trace; null leaves it out. */
const DESCRIBE: { [K in MachineEvent['kind']]: (e: Extract<MachineEvent, { kind: K }>) => { name: string; cat: string; args?: Record<string, unknown> } | null } = {
  exception: (e) => ({ name: `exception ${e.vector}`, cat: 'exception', args: { pc: hex(e.pc), cpl: e.cpl, errorCode: e.errorCode } }),
  interrupt: (e) => ({ name: `interrupt ${hex(e.vector)}`, cat: 'interrupt', args: { pc: hex(e.pc), cpl: e.cpl } }),
  'software-interrupt': (e) => ({ name: `int ${hex(e.vector)}`, cat: 'syscall', args: { pc: hex(e.pc), cpl: e.cpl } }),
  iret: (e) => ({ name: 'iret', cat: 'syscall', args: { from: e.fromCpl, to: e.toCpl } }),
  sysenter: (e) => ({ name: 'sysenter', cat: 'syscall', args: { pc: hex(e.pc), from: e.cpl } }),
  sysexit: (e) => ({ name: 'sysexit', cat: 'syscall', args: { pc: hex(e.pc) } }),
  io: (e) => ({ name: `${e.emulated ? 'emulated ' : ''}${e.direction} ${hex(e.port)}`, cat: 'io', args: { value: e.value } }),
  'tlb-flush': (e) => ({ name: 'TLB flush', cat: 'mmu', args: { cause: e.cause } }),
  invlpg: (e) => ({ name: 'invlpg', cat: 'mmu', args: { address: hex(e.address) } }),
  'control-register-write': (e) => ({ name: `write cr${e.cr}`, cat: 'privileged', args: { value: hex(e.value) } }),
  halt: (e) => ({ name: 'hlt', cat: 'idle', args: { pc: hex(e.pc) } }),
  ipi: (e) => ({ name: `IPI line ${e.line} to CPU ${e.target}`, cat: 'ipi', args: { line: e.line, target: e.target } }),
  'vm-entry': () => ({ name: 'VM entry', cat: 'vmx' }),
  'vm-exit': (e) => ({ name: `VM exit: ${e.exit.reason}`, cat: 'vmx', args: { ...e.exit, pc: hex(e.exit.pc) } }),
  region: (e) => ({ name: `measured region ${e.mark}`, cat: 'region' }),
  sensitive: (e) => ({ name: `${e.mnemonic} outside ring 0`, cat: 'sensitive', args: { pc: hex(e.pc), cpl: e.cpl, value: hex(e.value) } }),
  'monitor-trap': (e) => ({ name: `monitor trap: ${e.cause}`, cat: 'monitor', args: { pc: hex(e.pc) } }),
};

/** A tracer attached to a machine; `write` saves the trace. */
export interface Tracer {
  events(): readonly TraceEvent[];
  write(file: string): void;
}

/** The tracks (thread ids) of a trace. */
const TRACK = { events: 1, guest: 2, vmm: 3, translation: 4 } as const;

const TRACK_NAMES: Readonly<Record<keyof typeof TRACK, string>> = { events: 'events', guest: 'guest (kernel / user)', vmm: 'VMM', translation: 'translation' };

/** A slice being built: mutable until the next one on its track starts. */
type Slice = { -readonly [K in keyof TraceEvent]: TraceEvent[K] } & { dur: number; args: Record<string, number> };

/** Cycles of one interval between two events, by phase, with the VMM's causes and the guest's kernel share. */
interface Interval {
  readonly byPhase: Readonly<Record<Phase, number>>;
  readonly vmmCauses: Readonly<Record<string, number>>;
  /** the share of the guest's instructions retired in rings 0-2 (1 when none retired) */
  readonly kernelShare: number;
}

const ringInstructions = (m: Cpu): number[] => {
  const by = m.ledger.counts.instructions;
  return [0, 1, 2, 3].map((r) => (typeof by === 'object' ? (by[r] ?? 0) : 0));
};

/** Room left in a trace, shared by its CPUs. */
interface Budget {
  left: number;
  dropped: number;
}

/** Trace one CPU as process `pid`: its events go to `out`; `finish` closes the last interval at the end of the run. */
const traceCpu = (m: Cpu, pid: number, name: string, profile: CostProfile, out: TraceEvent[], budget: Budget): { finish: () => void } => {
  out.push(
    { name: 'process_name', ph: 'M', ts: 0, pid, tid: 1, cat: 'meta', args: { name } },
    { name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 1, cat: 'meta', args: { sort_index: pid } },
    ...(Object.keys(TRACK) as (keyof typeof TRACK)[]).flatMap((k): TraceEvent[] => [
      { name: 'thread_name', ph: 'M', ts: 0, pid, tid: TRACK[k], cat: 'meta', args: { name: TRACK_NAMES[k] } },
      { name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid: TRACK[k], cat: 'meta', args: { sort_index: TRACK[k] } },
    ]),
  );
  const perMicro = profile.frequencyHz / 1e6;
  const push = (e: TraceEvent): boolean => {
    if (budget.left <= 0) {
      budget.dropped++;
      return false;
    }
    budget.left--;
    out.push(e);
    return true;
  };
  // where the last interval ended: the clock, the breakdown, the instructions by ring, the event
  // (from zero: what the VMM's start charged before the tracer was attached is the first interval)
  let lastCycles = 0;
  let lastByCause: Record<string, number> = {};
  let lastRings = [0, 0, 0, 0];
  /** the VM exit the VMM is handling (between a VM exit and the next VM entry), or null */
  let handling: string | null = null;
  const phaseTotals: Record<Phase, number> = { guest: 0, translation: 0, vmm: 0 };
  let lastCounters = '';
  const open = new Map<number, Slice>();

  /** A slice on a track from `start` cycles for `cycles`, joined to the previous one if it has the name and ends there. */
  const slice = (tid: number, name: string, start: number, cycles: number, args: Readonly<Record<string, number>>): void => {
    const ts = start / perMicro;
    const dur = cycles / perMicro;
    const prev = open.get(tid);
    if (prev && prev.name === name && Math.abs(prev.ts + prev.dur - ts) < 1e-9) {
      prev.dur += dur;
      for (const [k, v] of Object.entries(args)) prev.args[k] = (prev.args[k] ?? 0) + v;
      return;
    }
    const s: Slice = { name, cat: 'phase', ph: 'X', ts, dur, pid, tid, args: { ...args } };
    if (push(s)) open.set(tid, s);
  };

  /** What the cost model charged since the last interval ended. */
  const interval = (): Interval => {
    const byPhase: Record<Phase, number> = { guest: 0, translation: 0, vmm: 0 };
    const vmmCauses: Record<string, number> = {};
    for (const [cause, c] of Object.entries(m.ledger.byCause)) {
      const d = c - (lastByCause[cause] ?? 0);
      if (d === 0) continue;
      const phase = phaseOf(cause);
      byPhase[phase] += d;
      if (phase === 'vmm') vmmCauses[cause] = d;
    }
    const rings = ringInstructions(m);
    const retired = rings.map((n, r) => n - lastRings[r]);
    const all = retired.reduce((a, b) => a + b, 0);
    return { byPhase, vmmCauses, kernelShare: all === 0 ? 1 : (retired[0] + retired[1] + retired[2]) / all };
  };

  /** The VMM's slice name: what it handled (the exit's round trip is charged at the exit, its handling after it). */
  const vmmName = (causes: Readonly<Record<string, number>>, ending: MachineEvent | null): string => {
    if (ending?.kind === 'vm-exit') return `VM exit: ${ending.exit.reason}`;
    if (handling !== null) return handling;
    if (ending?.kind === 'monitor-trap') return `monitor trap: ${ending.cause}`;
    const top = Object.entries(causes).sort((a, b) => b[1] - a[1])[0];
    return `VMM: ${top ? top[0] : 'work'}`;
  };

  /** Close the interval that ends now (at an event, or at the end of the run). */
  const closeInterval = (ending: MachineEvent | null): void => {
    const now = m.ledger.cycles;
    if (now > lastCycles) {
      const iv = interval();
      const kernel = iv.byPhase.guest * iv.kernelShare;
      const parts: [number, string, number, Record<string, number>][] = [
        [TRACK.translation, 'translation', iv.byPhase.translation, { cycles: iv.byPhase.translation }],
        [TRACK.guest, 'kernel', kernel, { cycles: kernel }],
        [TRACK.guest, 'user', iv.byPhase.guest - kernel, { cycles: iv.byPhase.guest - kernel }],
      ];
      const vmm: [number, string, number, Record<string, number>] = [TRACK.vmm, vmmName(iv.vmmCauses, ending), iv.byPhase.vmm, { ...iv.vmmCauses }];
      let at = lastCycles;
      // inside an exit's handling the VMM comes first (the guest runs again only after the entry)
      for (const [tid, name, cycles, args] of handling !== null ? [vmm, ...parts] : [...parts, vmm]) {
        if (cycles <= 0) continue;
        slice(tid, name, at, cycles, args);
        at += cycles;
      }
      for (const p of Object.keys(phaseTotals) as Phase[]) phaseTotals[p] += iv.byPhase[p];
      lastByCause = { ...m.ledger.byCause };
      lastRings = ringInstructions(m);
      lastCycles = now;
    }
    const misses = m.ledger.counts['tlb.misses'];
    const counters = JSON.stringify([misses, phaseTotals]);
    if (counters !== lastCounters) {
      lastCounters = counters;
      const ts = now / perMicro;
      push({ name: 'TLB misses', cat: 'counter', ph: 'C', ts, pid, tid: 1, args: { misses: typeof misses === 'number' ? misses : 0 } });
      push({ name: 'cycles by phase', cat: 'counter', ph: 'C', ts, pid, tid: 1, args: { ...phaseTotals } });
    }
  };

  m.events.listen((e) => {
    m.sync();
    closeInterval(e);
    if (e.kind === 'vm-exit') handling = `VM exit: ${e.exit.reason}`;
    else if (e.kind === 'vm-entry') handling = null;
    const d = (DESCRIBE[e.kind] as (x: MachineEvent) => ReturnType<(typeof DESCRIBE)['halt']>)(e);
    if (d === null) return;
    push({ name: d.name, cat: d.cat, ph: 'i', s: 't', ts: m.ledger.cycles / perMicro, pid, tid: TRACK.events, args: { ...d.args, instructions: m.instructions } });
  });
  return {
    finish: () => {
      m.sync();
      closeInterval(null);
    },
  };
};

/**
 * Attach a tracer to a VM's CPUs, one trace process per vCPU (`vCPU k`), each on its own
 * modelled clock (the CPUs run in turns, lowest clock first, so the clocks line up).
 * `limit` bounds the events of the whole trace; events past it are counted as dropped.
 */
export const attachTracers = (cpus: readonly Cpu[], profile: CostProfile, meta: { strategy: string; workload: string }, limit = 200_000): Tracer => {
  const out: TraceEvent[] = [];
  const budget: Budget = { left: limit, dropped: 0 };
  const title = `${meta.strategy}: ${meta.workload} on ${profile.name}`;
  const traced = cpus.map((m, k) => traceCpu(m, k + 1, cpus.length === 1 ? title : `vCPU ${k}: ${title}`, profile, out, budget));
  return {
    events: () => out,
    write: (file) => {
      for (const t of traced) t.finish();
      fs.writeFileSync(
        file,
        JSON.stringify({
          traceEvents: out,
          displayTimeUnit: 'ns',
          otherData: { generator: 'ringlab', profile: profile.name, ...meta, vcpus: cpus.length, droppedEvents: budget.dropped },
        }),
      );
    },
  };
};
