/**
 * Run traces in the Chrome/Perfetto trace-event format (open in ui.perfetto.dev or
 * chrome://tracing). Each discrete event of the run (traps into a monitor, VM exits and
 * entries, exceptions, interrupts, system calls, port I/O, TLB flushes, the measured region)
 * becomes a trace event whose timestamp is the run's modelled time at that moment: the cost
 * model applied to every event counted so far (machine and VMM), at the profile's clock.
 * Tracing costs a snapshot per event; runs without --trace pay nothing.
 * @category Trace
 */
import * as fs from 'fs';
import type { Cpu } from '../../core/cpu/cpu';

import type { CostProfile } from '../../core/cost/profile';
import type { MachineEvent } from '../../core/events/events';

/** One Chrome trace event. */
export interface TraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: 'i' | 'X' | 'B' | 'E' | 'M';
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

/** Attach a tracer: timestamps are the CPU's modelled cycles (monitor work included) at each event. */
export const attachTracer = (m: Cpu, profile: CostProfile, meta: { strategy: string; workload: string }, limit = 200_000): Tracer => {
  const out: TraceEvent[] = [
    { name: 'process_name', ph: 'M', ts: 0, pid: 1, tid: 1, cat: 'meta', args: { name: `${meta.strategy}: ${meta.workload} on ${profile.name}` } },
    { name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: 1, cat: 'meta', args: { name: 'vCPU 0' } },
  ];
  const perMicro = profile.frequencyHz / 1e6;
  let dropped = 0;
  m.events.listen((e) => {
    const d = (DESCRIBE[e.kind] as (x: MachineEvent) => ReturnType<(typeof DESCRIBE)['halt']>)(e);
    if (d === null) return;
    if (out.length >= limit) {
      dropped++;
      return;
    }
    m.sync();
    const ts = m.ledger.cycles / perMicro;
    out.push({ name: d.name, cat: d.cat, ph: 'i', s: 't', ts, pid: 1, tid: 1, args: { ...d.args, instructions: m.instructions } });
  });
  return {
    events: () => out,
    write: (file) =>
      fs.writeFileSync(
        file,
        JSON.stringify({
          traceEvents: out,
          displayTimeUnit: 'ns',
          otherData: { generator: 'ringlab', profile: profile.name, ...meta, droppedEvents: dropped },
        }),
      ),
  };
};
