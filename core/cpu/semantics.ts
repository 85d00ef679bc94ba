/**
 * Instruction semantics shared by the interpreter's dispatch (core/cpu/interpreter.ts):
 * flag arithmetic, field extraction, and the bodies of the system instructions. The run
 * loop has already fetched the word and immediate, set `m.next` to the following
 * instruction and applied the privilege check derived from the table; a body returns the VM
 * exit it causes, or throws a GuestFault (or a VmExitSignal from deeper down, a nested-paging
 * walk), before changing any state, or completes.
 * @category CPU
 */
import { Gate, GATE_SIZE } from './idt';
import { CONTROL_REGISTERS, ControlRegister as ControlRegisterNumber, Flag, Vector } from '../isa/table';
import { Access } from '../mmu/pte';
import { deliver } from './delivery';
import { GuestFault } from '../isa/fault';
import { VmExitSignal } from '../vmx/exit-signal';
import type { Cpu } from './cpu';
import type { Trap } from './exit';
import type { SystemMnemonic } from './instruction-code';

/**
 * Semantics of one instruction: `w` is the instruction word, `imm` the immediate word. It
 * returns the VM exit the instruction causes in non-root mode, which the caller raises as if
 * thrown (a throw costs microseconds of host time, a third of a VM exit's), or nothing.
 */
export type Exec = (m: Cpu, w: number, imm: number) => VmExitSignal | void;

/** Field ra of an instruction word. */
export const A = (w: number) => (w >>> 20) & 15;
/** Field rb of an instruction word. */
export const B = (w: number) => (w >>> 16) & 15;
/** Field rc of an instruction word. */
export const C = (w: number) => (w >>> 12) & 15;
/** The 12-bit immediate of an instruction word. */
export const IMM12 = (w: number) => w & 0xfff;

const ARITH = Flag.CF | Flag.ZF | Flag.SF | Flag.OF;

/** Set ZF/SF from r and CF/OF as given. */
const setFlags = (m: Cpu, r: number, cf: boolean, of: boolean): void => {
  m.flags =
    (m.flags & ~ARITH) | (r === 0 ? Flag.ZF : 0) | (r < 0 ? Flag.SF : 0) | (cf ? Flag.CF : 0) | (of ? Flag.OF : 0);
};

/**
 * Low 32 bits of a * b; CF = OF = the signed product did not fit. The product as a double
 * is exact whenever it fits in 32 bits, and out of the int32 range (rounding never brings it
 * back) whenever it does not; so it differs from the low 32 bits exactly on overflow,
 * without the three BigInts an exact product would allocate on every multiply.
 */
export const mulFlags = (m: Cpu, a: number, b: number): number => {
  const r = Math.imul(a, b);
  const overflow = a * b !== r;
  setFlags(m, r, overflow, overflow);
  return r;
};

/** The divide error (#DE) of a signed division of `a` by `b`, if it raises one: by zero, or overflow; else null. */
export const divisionFault = (a: number, b: number): GuestFault | null =>
  b === 0
    ? new GuestFault(Vector.divideError, 0, 0, 'division by zero')
    : a === -0x80000000 && b === -1
      ? new GuestFault(Vector.divideError, 0, 0, 'division overflow')
      : null;

const checkCr = (n: number): void => {
  if (!CONTROL_REGISTERS.has(n)) throw new GuestFault(Vector.invalidOpcode, 0, 0, `no control register cr${n}`);
};

/** In non-root mode, the VM exit the VMCS asks for, if it asks (for the body to return). */
const exitIf = (m: Cpu, wanted: boolean | undefined, make: () => ConstructorParameters<typeof VmExitSignal>[0]): VmExitSignal | undefined =>
  m.nonRoot && wanted ? new VmExitSignal(make()) : undefined;

const ioExits = (m: Cpu, port: number): boolean =>
  m.vmcs !== null && (m.vmcs.controls.unconditionalIo || m.vmcs.controls.ioBitmap.has(port));

/**
 * The instruction traps to the software monitor that owns ring 0: the run returns the trap
 * after this instruction, which retires once the monitor has handled it (it sets pc).
 */
const trapToMonitor = (m: Cpu, trap: Trap): void => {
  m.pendingExit = { kind: 'trap', trap };
  m.trappedCpl = m.cpl;
  m.next = m.pc;
};

/** Semantics of `int`. */
export const execInt: Exec = (m, w) => {
    const vector = IMM12(w) & 0xff;
    if (m.monitor !== null && !m.monitor.directVectors.has(vector)) {
      trapToMonitor(m, { kind: 'software-interrupt', vector, pc: m.pc, nextPc: m.next });
      return;
    }
    const gate = (m.idtBase + vector * GATE_SIZE + 4) | 0;
    const flags = m.memory.read32(m.mmu.translate(gate, Access.read, false));
    const dpl = (flags >>> Gate.dplShift) & 3;
    if ((flags & Gate.present) !== 0 && m.cpl > dpl)
      throw new GuestFault(Vector.generalProtection, vector * 8 + 2, 0, `INT ${vector} not allowed from CPL ${m.cpl} (gate DPL ${dpl})`);
    m.events.emit({ kind: 'software-interrupt', t: m.time, vector, pc: m.pc, cpl: m.cpl });
    deliver(m, { vector, returnPc: m.next, software: true });
    finishTrap(m);
  };

/** Semantics of `vmcall`. */
export const execVmcall: Exec = (m) => {
    const exit = exitIf(m, true, () => ({ reason: 'vmcall', pc: m.pc, nextPc: m.next }));
    if (exit) return exit;
    if (m.monitor !== null) {
      trapToMonitor(m, { kind: 'vmcall', pc: m.pc, nextPc: m.next });
      return;
    }
    throw new GuestFault(Vector.invalidOpcode, 0, 0, 'vmcall outside a virtual machine');
  };

/** Semantics of `sysenter`. */
export const execSysenter: Exec = (m) => {
  if (m.monitor !== null) {
    trapToMonitor(m, { kind: 'sysenter', pc: m.pc, nextPc: m.next });
    return;
  }
  const entry = m.cr[ControlRegisterNumber.cr10];
  if (entry === 0) throw new GuestFault(Vector.generalProtection, 0, 0, 'SYSENTER with no entry point (cr10 = 0)');
  m.events.emit({ kind: 'sysenter', t: m.time, pc: m.pc, cpl: m.cpl });
  m.flags &= ~Flag.IF;
  m.cpl = 0;
  m.regs[15] = m.cr[ControlRegisterNumber.cr11];
  m.next = entry;
  m.interruptCheck = true;
};

/** Semantics of `sysexit`. */
export const execSysexit: Exec = (m, w) => {
  const pc = m.regs[A(w)];
  m.events.emit({ kind: 'sysexit', t: m.time, pc: m.pc });
  m.regs[15] = m.regs[B(w)];
  m.cpl = 3;
  m.next = pc;
  m.interruptCheck = true;
};

/** Semantics of `pushf`. */
export const execPushf: Exec = (m) => {
  m.push(m.flags);
  if (m.cpl > 0) sensitive(m, 'pushf', m.flags);
};

/** Report a sensitive instruction that ran outside ring 0. */
const sensitive = (m: Cpu, mnemonic: 'pushf' | 'popf' | 'iret' | 'sidt' | 'smsw' | 'rdcpl', value: number): void =>
  m.events.emit({ kind: 'sensitive', t: m.time, mnemonic, pc: m.pc, cpl: m.cpl, value });

/** Semantics of `sidt`. */
export const execSidt: Exec = (m, w) => {
  m.regs[A(w)] = m.idtBase;
  if (m.cpl > 0) sensitive(m, 'sidt', m.idtBase);
};

/** Semantics of `smsw`. */
export const execSmsw: Exec = (m, w) => {
  // SMSW reads cr0: intercepted with CR0 reads (AMD-V; VT-x never exits on cr0 reads)
  const exit = exitIf(m, ((m.vmcs?.controls.crReadExiting ?? 0) & 1) !== 0, () => ({ reason: 'cr-access', pc: m.pc, nextPc: m.next, cr: 0, direction: 'read', register: A(w) }));
  if (exit) return exit;
  const cr0 = guestCr0(m);
  m.regs[A(w)] = cr0;
  if (m.cpl > 0) sensitive(m, 'smsw', cr0);
};

/** cr0 as software reads it: the VMCS read shadow in non-root mode, if set. */
const guestCr0 = (m: Cpu): number =>
  m.nonRoot && m.vmcs !== null && m.vmcs.cr0ReadShadow !== null ? m.vmcs.cr0ReadShadow : m.cr[0];

/** Semantics of `rdcpl`. */
export const execRdcpl: Exec = (m, w) => {
  m.regs[A(w)] = m.cpl;
  if (m.cpl > 0) sensitive(m, 'rdcpl', m.cpl);
};

/** Semantics of `popf`. */
export const execPopf: Exec = (m) => {
    const v = m.read32(m.regs[15]);
    let keep = 0;
    if (m.cpl > 0) keep |= Flag.IOPL;
    if (m.cpl > m.iopl) keep |= Flag.IF;
    const allowed = Flag.CF | Flag.ZF | Flag.SF | Flag.OF | Flag.IF | Flag.IOPL;
    m.flags = (m.flags & keep) | (v & allowed & ~keep);
    m.regs[15] = (m.regs[15] + 4) | 0;
    m.interruptCheck = true;
    if (m.cpl > 0) sensitive(m, 'popf', v);
  };

/** Semantics of `cli`. */
export const execCli: Exec = (m) => {
    m.flags &= ~Flag.IF;
  };

/** Semantics of `sti`. */
export const execSti: Exec = (m) => {
    if ((m.flags & Flag.IF) === 0) m.interruptShadow = true;
    m.flags |= Flag.IF;
    m.interruptCheck = true;
  };

/**
 * Semantics of `pause`: its latency is counted (spin.pauses); in non-root mode with
 * pause-loop exiting, a PAUSE less than `gap` cycles after the previous one continues a
 * spin, and a spin that has lasted more than `window` cycles exits (Intel PLE: the VMM
 * learns that the vCPU spins, e.g. on a lock whose holder is descheduled).
 */
export const execPause: Exec = (m) => {
    const ple = m.nonRoot ? m.vmcs?.controls.pauseLoopExiting : undefined;
    if (ple) {
      const s = m.pauseLoop;
      const t = m.time;
      if (t - s.last > ple.gap) s.start = t;
      s.last = t;
      if (t - s.start > ple.window) {
        s.start = t;
        return new VmExitSignal({ reason: 'pause', pc: m.pc, nextPc: m.next });
      }
    }
    m.ledger.count('spin.pauses');
    const since = m.instructions - m.lastPauseAt;
    if (since <= SPIN_ITERATION_MAX) m.spinInstructions += since;
    m.lastPauseAt = m.instructions;
  };

/**
 * The most instructions between two PAUSEs of one spin-wait loop: the shipped guest's loops
 * take 5 to 7 and the kernel lock's a call to serve cross-CPU calls as well; code that is not
 * spinning does not pause twice so close.
 */
export const SPIN_ITERATION_MAX = 64;

/** Semantics of `hlt`. */
export const execHlt: Exec = (m) => {
    const exit = exitIf(m, m.vmcs?.controls.hlt, () => ({ reason: 'hlt', pc: m.pc, nextPc: m.next }));
    if (exit) return exit;
    m.events.emit({ kind: 'halt', t: m.time, pc: m.pc });
    m.halted = true;
    m.interruptCheck = true;
  };

/** Semantics of `rdcr`. */
export const execRdcr: Exec = (m, w) => {
    const n = IMM12(w);
    checkCr(n);
    const exit = exitIf(m, ((m.vmcs?.controls.crReadExiting ?? 0) & (1 << n)) !== 0, () => ({
      reason: 'cr-access',
      pc: m.pc,
      nextPc: m.next,
      cr: n,
      direction: 'read',
      register: A(w),
    }));
    if (exit) return exit;
    m.regs[A(w)] = n === 0 ? guestCr0(m) : m.cr[n];
  };

/** Semantics of `wrcr`. */
export const execWrcr: Exec = (m, w) => {
    const n = IMM12(w);
    checkCr(n);
    const exit = exitIf(m, ((m.vmcs?.controls.crWriteExiting ?? 0) & (1 << n)) !== 0, () => ({
      reason: 'cr-access',
      pc: m.pc,
      nextPc: m.next,
      cr: n,
      direction: 'write',
      register: A(w),
    }));
    if (exit) return exit;
    m.writeControlRegister(n, m.regs[A(w)]);
  };

/** Semantics of `lidt`. */
export const execLidt: Exec = (m, w) => {
    const exit = exitIf(m, m.vmcs?.controls.lidt, () => ({ reason: 'lidt', pc: m.pc, nextPc: m.next, base: m.regs[A(w)] }));
    if (exit) return exit;
    m.idtBase = m.regs[A(w)];
  };

/** Semantics of `invlpg`. */
export const execInvlpg: Exec = (m, w) => {
    const address = m.regs[A(w)];
    const exit = exitIf(m, m.vmcs?.controls.invlpg, () => ({ reason: 'invlpg', pc: m.pc, nextPc: m.next, address }));
    if (exit) return exit;
    m.mmu.invalidate(address);
    m.events.emit({ kind: 'invlpg', t: m.time, address });
  };

/** Semantics of `in`. */
export const execIn: Exec = (m, w) => {
    const port = IMM12(w);
    const exit = exitIf(m, ioExits(m, port), () => ({ reason: 'io', pc: m.pc, nextPc: m.next, port, direction: 'in', register: A(w) }));
    if (exit) return exit;
    m.regs[A(w)] = m.portRead(port);
  };

/** Semantics of `out`. */
export const execOut: Exec = (m, w) => {
    const port = IMM12(w);
    const exit = exitIf(m, ioExits(m, port), () => ({ reason: 'io', pc: m.pc, nextPc: m.next, port, direction: 'out', register: A(w) }));
    if (exit) return exit;
    m.portWrite(port, m.regs[A(w)]);
  };

/** Semantics of `iret`. */
export const execIret: Exec = (m) => {
    const sp = m.regs[15];
    const pc = m.read32(sp);
    const cs = m.read32((sp + 4) | 0) & 3;
    const flags = m.read32((sp + 8) | 0);
    const newSp = m.read32((sp + 12) | 0);
    if (cs < m.cpl) throw new GuestFault(Vector.generalProtection, 0, 0, `IRET to ring ${cs} from CPL ${m.cpl}`);
    let keep = 0;
    if (m.cpl > 0) keep |= Flag.IOPL;
    if (m.cpl > m.iopl) keep |= Flag.IF;
    const from = m.cpl;
    m.flags = (m.flags & keep) | (flags & (ARITH | Flag.IF | Flag.IOPL) & ~keep);
    m.events.emit({ kind: 'iret', t: m.time, fromCpl: from, toCpl: cs });
    if (from > 0) sensitive(m, 'iret', flags);
    m.regs[15] = newSp;
    m.next = pc;
    m.cpl = cs;
    m.interruptCheck = true;
  };

/** After a trap instruction changed pc itself: continue at the new pc. */
export const finishTrap = (m: Cpu): void => {
  m.next = m.pc;
};

/**
 * The semantics of every system instruction (every row of the ISA table without a code row in
 * core/cpu/instruction-code.ts): the type makes a row that is in neither table, or in both,
 * a compile error. The interpreter runs these with exact time and counts and ends its burst.
 */
export const SYSTEM_SEMANTICS: Readonly<Record<SystemMnemonic, Exec>> = {
  pause: execPause,
  sidt: execSidt,
  smsw: execSmsw,
  rdcpl: execRdcpl,
  int: execInt,
  vmcall: execVmcall,
  pushf: execPushf,
  popf: execPopf,
  cli: execCli,
  sti: execSti,
  hlt: execHlt,
  rdcr: execRdcr,
  wrcr: execWrcr,
  lidt: execLidt,
  invlpg: execInvlpg,
  in: execIn,
  out: execOut,
  iret: execIret,
  sysenter: execSysenter,
  sysexit: execSysexit,
};
