/**
 * The CPU's run: devices, interrupts, HLT and bursts of interpreted instructions, until
 * something leaves the run as a value (core/cpu/exit.ts): a trap for a software monitor,
 * a VM exit, the time the caller asked to run to, or a stop. Nothing here calls back into
 * a VMM, so no guest behaviour can make the host recurse.
 * @category CPU
 */
import { Flag } from '../isa/table';
import type { VmExit } from '../vmx/exits';
import type { Cpu } from './cpu';
import { deliver, deliverFault, faultExit } from './delivery';
import type { CpuExit } from './exit';
import { GuestFault } from '../isa/fault';
import { VmExitSignal } from '../vmx/exit-signal';
import { interpretCaught, NOTHING_THROWN } from './interpreter';
import { runJit } from './jit';
import { exitToRoot } from './vmx-transitions';

/** A VM exit as the run returns it: the guest state saved, the exit as a value. */
const vmExit = (cpu: Cpu, signalled: VmExit): CpuExit => {
  // the MMU does not know the pc of the access that found the nested tables missing
  const exit = signalled.pc === 0 && signalled.reason === 'ept-violation' ? { ...signalled, pc: cpu.pc } : signalled;
  exitToRoot(cpu, exit);
  return { kind: 'vm-exit', exit };
};

/**
 * Faults in a row with no instruction retired between them that make a fault loop. A fault
 * whose handler retires nothing before faulting again never ends on its own (a handler at an
 * unmapped address, a stack that always faults); real code retires instructions between its
 * faults (a demand-paging storm retires the faulting instruction each time), and a VMM's
 * hidden faults come one or two per instruction.
 */
export const NO_PROGRESS_FAULTS = 10_000;

/** Count a fault toward the fault-loop detection; stops the CPU when it is one. */
const noteFault = (cpu: Cpu, f: GuestFault): void => {
  const p = cpu.progress;
  if (cpu.instructions !== p.instructions) {
    p.instructions = cpu.instructions;
    p.faults = 0;
  }
  if (++p.faults >= NO_PROGRESS_FAULTS) cpu.stop({ kind: 'no-progress', pc: cpu.pc, faults: p.faults, vector: f.vector });
};

/** Stop the CPU if a budget of the run is spent. */
const checkBudgets = (cpu: Cpu): void => {
  if (cpu.stopReason !== null) return;
  const budget = cpu.instructions >= cpu.instructionLimit ? 'instructions' : cpu.time >= cpu.cycleLimit ? 'cycles' : null;
  if (budget !== null)
    cpu.stop({ kind: 'budget', budget, instructions: cpu.instructions - cpu.runStart.instructions, cycles: cpu.time - cpu.runStart.cycles });
};

/**
 * Run until an exit. The budgets (`cpu.instructionLimit`, `cpu.cycleLimit`) and `until`
 * (run no further than this cycle time: another CPU's turn) are checked between steps.
 */
export const execute = (cpu: Cpu, until = Infinity): CpuExit => {
  if (cpu.turnEnd !== until) {
    cpu.turnEnd = until;
    cpu.reschedule();
  }
  for (;;) {
    checkBudgets(cpu);
    if (cpu.stopReason !== null) return { kind: 'stop', reason: cpu.stopReason };
    if (cpu.time >= until || cpu.hostYield !== null) return { kind: 'yield' };
    let e: unknown;
    try {
      const exit = step(cpu, until);
      if (exit !== null) return exit;
      // what the interpreter raised, handed back rather than thrown
      e = handedBack;
      handedBack = NOTHING_THROWN;
    } catch (thrown) {
      e = thrown;
    }
    if (e !== NOTHING_THROWN) {
      const exit = raised(cpu, e);
      if (exit !== null) return exit;
    }
  }
};

/** What the last burst of the interpreter raised and handed back (NOTHING_THROWN: nothing). */
let handedBack: unknown = NOTHING_THROWN;

/** What an instruction or delivery raised becomes: a fault delivered (or a fault loop's stop), or a VM exit. */
const raised = (cpu: Cpu, e: unknown): CpuExit | null => {
  if (e instanceof GuestFault) {
    noteFault(cpu, e);
    if (cpu.stopReason !== null) return null;
    // an exit the VMCS selects for the fault, taken without a throw
    const exit = faultExit(cpu, e);
    if (exit !== null) return vmExit(cpu, exit);
    try {
      return deliverFault(cpu, e);
    } catch (inner) {
      if (inner instanceof VmExitSignal) return vmExit(cpu, inner.exit);
      throw inner;
    }
  }
  if (e instanceof VmExitSignal) return vmExit(cpu, e.exit);
  throw e;
};

/** One turn: the pending injection, devices, interrupts, halt, then a burst of instructions. */
const step = (cpu: Cpu, until: number): CpuExit | null => {
  if (cpu.pendingStartup !== null) {
    const pc = cpu.pendingStartup;
    cpu.pendingStartup = null;
    cpu.waitingForStartup = false;
    cpu.halted = false;
    return { kind: 'startup', pc };
  }
  const inj = cpu.pendingInjection;
  if (inj !== null) {
    // the hardware delivers the injected event through the guest's table: priced as such
    cpu.pendingInjection = null;
    const seen = { vector: inj.vector, pc: cpu.pc, cpl: cpu.cpl, t: cpu.time };
    if (inj.type === 'external') cpu.events.emit({ kind: 'interrupt', ...seen });
    else if (inj.type === 'software') cpu.events.emit({ kind: 'software-interrupt', ...seen });
    else cpu.events.emit({ kind: 'exception', ...seen, errorCode: inj.errorCode ?? 0 });
    deliver(cpu, { vector: inj.vector, errorCode: inj.errorCode, returnPc: cpu.pc, software: inj.type === 'software' });
    return null;
  }
  if (cpu.time >= cpu.checkpoint) {
    if (cpu.time >= cpu.cycleLimit) return null;
    cpu.serviceDevices();
  }
  if (cpu.interruptCheck) {
    cpu.interruptCheck = false;
    const taken = takeInterrupt(cpu);
    if (taken !== false) return taken === true ? null : taken;
  }
  if (cpu.halted) return idle(cpu, until);
  // the engines hand back what they raised (a fault, a VM exit) instead of throwing it again
  handedBack = cpu.engine === 'jit' ? runJit(cpu) : interpretCaught(cpu);
  if (handedBack !== NOTHING_THROWN) return null;
  const exit = cpu.pendingExit;
  cpu.pendingExit = null;
  return exit;
};

/**
 * Accept a pending interrupt if one is deliverable: an exit (VM exit, or a trap for the
 * monitor), true if it was delivered to the guest, false if none was taken.
 */
const takeInterrupt = (cpu: Cpu): CpuExit | boolean => {
  if (cpu.nonRoot && cpu.vmcs) {
    const c = cpu.vmcs.controls;
    if (c.interruptWindowExiting && (cpu.flags & Flag.IF) !== 0 && !cpu.interruptShadow) return vmExit(cpu, { reason: 'interrupt-window', pc: cpu.pc });
    if (c.externalInterruptExiting && cpu.pic.deliverable() >= 0) return vmExit(cpu, { reason: 'external-interrupt', pc: cpu.pc });
  }
  const v = cpu.pendingInterrupt();
  if (v < 0) {
    if (cpu.interruptShadow) cpu.interruptCheck = true;
    return false;
  }
  cpu.pic.acknowledge(v);
  cpu.halted = false;
  if (cpu.monitor !== null) return { kind: 'trap', trap: { kind: 'interrupt', vector: v, pc: cpu.pc } };
  cpu.events.emit({ kind: 'interrupt', t: cpu.time, vector: v, pc: cpu.pc, cpl: cpu.cpl });
  deliver(cpu, { vector: v, returnPc: cpu.pc, software: false, external: true }, `interrupt ${v}`);
  return true;
};

/** Let `until` - now cycles pass halted (counted, so the clock and the breakdown move together). */
const idleUntil = (cpu: Cpu, until: number): void => {
  if (until > cpu.time) cpu.ledger.count('idleCycles', until - cpu.time);
};

/**
 * HLT: let time pass until the next device event (no further than `until`, where another
 * CPU's turn may bring an interrupt), or stop if none can come; on a host
 * (`cpu.host`) leave the run instead, and the host lets the time pass.
 */
const idle = (cpu: Cpu, until: number): CpuExit | null => {
  if (cpu.waitingForStartup) {
    // a secondary CPU before its start-up IPI: nothing but another CPU can wake it
    if (until === Infinity) cpu.stop({ kind: 'halted', pc: cpu.pc });
    else if (cpu.host !== null) return { kind: 'yield' };
    else idleUntil(cpu, Math.min(until, cpu.cycleLimit));
    return null;
  }
  const next = Math.min(cpu.clockAt(cpu.timer.deadline), cpu.clockAt(cpu.platform.disk.deadline));
  const deliverable = (cpu.flags & Flag.IF) !== 0;
  if (!deliverable) {
    cpu.stop({ kind: 'halted', pc: (cpu.pc - 4) | 0 });
    return null;
  }
  if (cpu.host !== null) return { kind: 'yield' };
  if (next === Infinity && until === Infinity) {
    cpu.stop({ kind: 'idle', pc: (cpu.pc - 4) | 0 });
    return null;
  }
  const to = Math.min(next, until, cpu.cycleLimit);
  idleUntil(cpu, to);
  if (to < next) return null;
  cpu.serviceDevices();
  cpu.interruptCheck = true;
  return null;
};
