/**
 * The vCPU run loop, the one copy every strategy and example uses: run the CPU until an
 * exit, hand the exit to the VMM's handler for this vCPU, run again (Firecracker's split of
 * the run loop and exit handling). A CPU with no handler runs bare metal.
 * @category CPU
 */
import type { Cpu } from './cpu';
import type { Trap, VcpuHandler } from './exit';
import { execute } from './execute';
import type { StopReason } from './stop';
import { detailNames, exceptionDetail } from '../cost/detail-names';

/** The budgets of a run: at most this many more instructions retired, and modelled cycles. */
export interface RunLimits {
  readonly maxInstructions?: number;
  readonly maxCycles?: number;
}

/** Prepare a run within `limits` from now. */
export const beginRun = (cpu: Cpu, limits: RunLimits): void => {
  cpu.sync();
  cpu.stopReason = null;
  cpu.runStart = { instructions: cpu.instructions, cycles: cpu.time };
  cpu.instructionLimit = cpu.instructions + (limits.maxInstructions ?? Infinity);
  cpu.cycleLimit = cpu.time + (limits.maxCycles ?? Infinity);
  cpu.reschedule();
  cpu.interruptCheck = true;
};

const hex = (n: number): string => n.toString(16);

const SOFTWARE_INTERRUPT_CAUSE = detailNames((vector: number) => `software-interrupt 0x${hex(vector)}`);
const INTERRUPT_CAUSE = detailNames((vector: number) => `interrupt 0x${hex(vector)}`);

/** How a monitor trap is named in the events (and traces), by kind. */
const TRAP_CAUSE: { readonly [K in Trap['kind']]: (t: Extract<Trap, { kind: K }>) => string } = {
  exception: (t) => exceptionDetail(t.vector),
  'software-interrupt': (t) => SOFTWARE_INTERRUPT_CAUSE(t.vector),
  interrupt: (t) => INTERRUPT_CAUSE(t.vector),
  vmcall: () => 'vmcall',
  sysenter: () => 'sysenter',
};
const trapCause = (t: Trap): string => (TRAP_CAUSE[t.kind] as (t: Trap) => string)(t);

/**
 * Run until the CPU stops or reaches `until` (machine time; another CPU's turn): returns the
 * stop reason, or null when it yielded.
 */
export const continueVcpu = (cpu: Cpu, handler: VcpuHandler | null, until = Infinity): StopReason | null => {
  for (;;) {
    const exit = execute(cpu, until);
    switch (exit.kind) {
      case 'stop':
        return exit.reason;
      case 'yield':
        return null;
      case 'startup':
        if (handler?.onStartup) handler.onStartup(exit.pc);
        else cpu.resetAt(exit.pc);
        break;
      case 'trap':
        if (!handler?.onTrap) {
          cpu.stop({ kind: 'stopped', detail: `internal error: a ${exit.trap.kind} trap with no monitor to take it` });
          break;
        }
        handler.onTrap(exit.trap);
        cpu.events.emit({ kind: 'monitor-trap', t: cpu.time, cause: trapCause(exit.trap), pc: exit.trap.pc });
        cpu.retireTrapped();
        break;
      case 'vm-exit':
        if (!handler?.onVmExit) {
          cpu.stop({ kind: 'vm-exit-unhandled', exit: exit.exit });
          break;
        }
        handler.onVmExit(exit.exit);
        // a VMM either resumes the guest or runs code of its own in root mode under a monitor (hybrid's clusters)
        if (!cpu.nonRoot && cpu.monitor === null && cpu.stopReason === null)
          cpu.stop({ kind: 'stopped', detail: `the VMM did not resume the guest after a '${exit.exit.reason}' exit` });
        break;
    }
  }
};

/** Run one vCPU under `handler` (null: bare metal) until it stops or a budget runs out. */
export const runVcpu = (cpu: Cpu, handler: VcpuHandler | null, limits: RunLimits | number = {}): StopReason => {
  beginRun(cpu, typeof limits === 'number' ? { maxInstructions: limits } : limits);
  return continueVcpu(cpu, handler) ?? { kind: 'stopped', detail: 'internal error: a run without a time limit yielded' };
};

/**
 * Default length of a turn in the interleaving of a multiprocessor's CPUs, in modelled
 * cycles: a few hundred instructions, shorter than a contended critical section's spin, so
 * CPUs meet each other on locks, IPIs and shared data as they would in parallel.
 */
export const DEFAULT_QUANTUM_CYCLES = 200;

/**
 * Run the CPUs of one machine until one stops (its stop stops them all: a shutdown, a
 * triple fault, a budget) or a budget runs out. CPUs advance in turns of `quantum`
 * modelled cycles, always the one with the lowest clock first (the lowest index on a tie),
 * so a run is reproducible and does not depend on the host; an instruction is never split
 * between turns, so atomic instructions are atomic by construction. The budgets apply to
 * each CPU. One CPU runs as runVcpu does.
 */
export const runVcpus = (
  cpus: readonly Cpu[],
  handlers: readonly (VcpuHandler | null)[],
  limits: RunLimits = {},
  quantum = DEFAULT_QUANTUM_CYCLES,
): StopReason => {
  if (cpus.length === 1) return runVcpu(cpus[0], handlers[0] ?? null, limits);
  if (!(quantum >= 1)) throw new RangeError(`quantum must be at least one cycle, got ${quantum}`);
  for (const c of cpus) beginRun(c, limits);
  for (;;) {
    let cpu = cpus[0];
    for (let i = 1; i < cpus.length; i++) if (cpus[i].time < cpu.time) cpu = cpus[i];
    const stop = continueVcpu(cpu, handlers[cpu.index] ?? null, cpu.time + quantum);
    if (stop !== null) {
      for (const c of cpus) c.stop(stop);
      return stop;
    }
  }
};
