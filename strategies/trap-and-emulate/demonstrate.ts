/**
 * Demonstrations of Popek & Goldberg's Theorem 1 failing (or holding): for every
 * sensitive-but-unprivileged instruction, a tiny guest kernel program is run twice, natively
 * at ring 0 and deprivileged at ring 1 under a minimal trap-and-emulate monitor, and the
 * guest-visible outcome is compared. On the default ISA the outcomes differ; on the
 * `virtualizable` variant every such instruction traps, the monitor emulates it, and the
 * outcomes agree.
 *
 * The monitor here is deliberately minimal (no devices, no interrupts, identity memory):
 * it exists to show the ISA property, not to virtualize a real kernel.
 * @category Strategies
 */
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../core/asm';
import type { Cpu } from '../../core/cpu/cpu';
import type { Trap, VcpuHandler } from '../../core/cpu/exit';
import { runVcpu } from '../../core/cpu/vcpu-loop';
import { uniprocessor } from '../../core/platform/uniprocessor';

import { decode, type Instruction } from '../../core/isa/codec';
import { CR0_PG, Flag, Vector, type Mnemonic } from '../../core/isa/table';
import type { IsaVariant } from '../../core/isa/variant';

/** What a demonstration compares. */
export type Probe = 'r1' | 'IF';

/** A demonstration program for one instruction. */
export interface Demo {
  readonly mnemonic: Mnemonic;
  readonly probe: Probe;
  readonly explanation: string;
  readonly source: string;
}

/** The demonstration programs, one per sensitive-but-unprivileged instruction. */
export const DEMOS: readonly Demo[] = [
  {
    mnemonic: 'pushf',
    probe: 'r1',
    explanation: 'after CLI, PUSHF should show IF = 0; deprivileged it shows the real IF the monitor keeps on',
    source: 'cli\npushf\npop r1\nandi r1, r1, 0x200\nhlt\n',
  },
  {
    mnemonic: 'popf',
    probe: 'IF',
    explanation: 'POPF of a value with IF = 1 should enable interrupts; outside ring 0 it is silently ignored, so the monitor never learns',
    source: 'cli\nli r1, 0x200\npush r1\npopf\nhlt\n',
  },
  {
    mnemonic: 'iret',
    probe: 'IF',
    explanation: 'IRET to ring 3 with IF = 1 in the frame should enable interrupts; outside ring 0 it keeps IF and does not trap',
    source: 'cli\nmov r6, sp\npush r6\nli r1, 0x200\npush r1\nli r1, 3\npush r1\nlea r1, user\npush r1\niret\nuser: hlt\n',
  },
  {
    mnemonic: 'sidt',
    probe: 'r1',
    explanation: 'SIDT should return the table the kernel loaded; deprivileged it reveals where the monitor put the real table',
    source: 'li r2, 0x5000\nlidt r2\nsidt r1\nhlt\n',
  },
  {
    mnemonic: 'smsw',
    probe: 'r1',
    explanation: 'with paging off SMSW should read 0; deprivileged it reveals the paging the monitor turned on',
    source: 'smsw r1\nhlt\n',
  },
  {
    mnemonic: 'rdcpl',
    probe: 'r1',
    explanation: 'a kernel should read CPL 0; deprivileged it reads the real ring 1',
    source: 'rdcpl r1\nhlt\n',
  },
];

/** Outcome of one demonstration. */
export interface Demonstration {
  readonly mnemonic: Mnemonic;
  readonly probe: Probe;
  readonly explanation: string;
  readonly native: number;
  readonly deprivileged: number;
  /** the outcomes differ: equivalence is broken */
  readonly differs: boolean;
}

const STACK = 0x8000;
const PAGE_DIRECTORY = 0x10000;
const PAGE_TABLE = 0x11000;
const MONITOR_IDT = 0x20000;

/** The virtual CPU state the minimal monitor keeps for its guest. */
interface VirtualCpu {
  interruptsEnabled: boolean;
  idtBase: number;
  cr: number[];
}

type Emulation = (m: Cpu, v: VirtualCpu, i: Instruction) => 'continue' | 'stop';

/** How the minimal monitor emulates each instruction that traps. */
const EMULATIONS: Partial<Record<Mnemonic, Emulation>> = {
  cli: (_m, v) => ((v.interruptsEnabled = false), 'continue'),
  sti: (_m, v) => ((v.interruptsEnabled = true), 'continue'),
  hlt: () => 'stop',
  lidt: (m, v, i) => ((v.idtBase = m.regs[i.ra]), 'continue'),
  sidt: (m, v, i) => ((m.regs[i.ra] = v.idtBase), 'continue'),
  smsw: (m, v, i) => ((m.regs[i.ra] = v.cr[0]), 'continue'),
  rdcpl: (m, _v, i) => ((m.regs[i.ra] = 0), 'continue'),
  rdcr: (m, v, i) => ((m.regs[i.ra] = v.cr[i.imm12] ?? 0), 'continue'),
  wrcr: (m, v, i) => ((v.cr[i.imm12] = m.regs[i.ra]), 'continue'),
  pushf: (m, v) => {
    m.push((m.flags & ~Flag.IF) | (v.interruptsEnabled ? Flag.IF : 0));
    return 'continue';
  },
  popf: (m, v) => {
    const f = m.pop();
    v.interruptsEnabled = (f & Flag.IF) !== 0;
    m.flags = (m.flags & (Flag.IF | Flag.IOPL)) | (f & ~(Flag.IF | Flag.IOPL));
    return 'continue';
  },
  iret: (m, v) => {
    const pc = m.pop();
    const cs = m.pop() & 3;
    const f = m.pop();
    const sp = m.pop();
    v.interruptsEnabled = (f & Flag.IF) !== 0;
    m.regs[15] = sp;
    m.cpl = Math.max(cs, 1);
    m.next = pc;
    return 'continue';
  },
};

/** A monitor that emulates privileged instructions trapping from ring 1 (#GP). */
const minimalMonitor = (m: Cpu, v: VirtualCpu): VcpuHandler => ({
  onTrap(trap: Trap): void {
    if (trap.kind !== 'exception' || trap.vector !== Vector.generalProtection) {
      m.stop({ kind: 'stopped', detail: `guest trap ${trap.kind} the demonstration monitor does not handle` });
      return;
    }
    const d = decode(m.memory.read32(trap.pc), m.memory.read32(trap.pc + 4));
    const emulate = d.ok ? EMULATIONS[d.instruction.mnemonic] : undefined;
    if (!d.ok || !emulate) {
      m.stop({ kind: 'stopped', detail: `cannot emulate the instruction at 0x${trap.pc.toString(16)}` });
      return;
    }
    m.next = (trap.pc + d.size) | 0;
    if (emulate(m, v, d.instruction) === 'stop') m.stop({ kind: 'stopped', detail: 'guest halted' });
    m.pc = m.next;
  },
});

const program = (source: string): Uint8Array => {
  const r = assemble(`li sp, ${STACK}\n${source}`, { file: 'demo.s' });
  if (isLeft(r)) throw new Error(`internal error: demonstration program does not assemble: ${r.left[0]?.message}`);
  return r.right.bytes;
};

const BUDGET = 10_000;

/** Run a demonstration natively (ring 0, paging off). */
const runNative = (demo: Demo, variant: IsaVariant): number => {
  const m = uniprocessor({ memoryBytes: 1 << 20, variant });
  m.load(0, program(demo.source));
  m.run(BUDGET);
  return demo.probe === 'r1' ? m.regs[1] : (m.flags & Flag.IF) !== 0 ? 1 : 0;
};

/** Run a demonstration deprivileged at ring 1 under the minimal monitor. */
const runDeprivileged = (demo: Demo, variant: IsaVariant): number => {
  const m = uniprocessor({ memoryBytes: 1 << 20, variant });
  m.load(0, program(demo.source));
  // the monitor's own configuration: identity paging, its own interrupt table, IF on
  for (let i = 0; i < 256; i++) m.memory.write32(PAGE_TABLE + i * 4, (i << 12) | 0x7);
  m.memory.write32(PAGE_DIRECTORY, PAGE_TABLE | 0x7);
  m.writeControlRegister(3, PAGE_DIRECTORY);
  m.writeControlRegister(0, CR0_PG);
  m.idtBase = MONITOR_IDT;
  m.flags = Flag.IF;
  m.cpl = 1;
  const v: VirtualCpu = { interruptsEnabled: false, idtBase: 0, cr: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
  m.monitor = { directVectors: new Set() };
  runVcpu(m, minimalMonitor(m, v), BUDGET);
  return demo.probe === 'r1' ? m.regs[1] : v.interruptsEnabled ? 1 : 0;
};

/** Run every demonstration under a variant. */
export const demonstrate = (variant: IsaVariant): Demonstration[] =>
  DEMOS.map((demo) => {
    const native = runNative(demo, variant);
    const deprivileged = runDeprivileged(demo, variant);
    return {
      mnemonic: demo.mnemonic,
      probe: demo.probe,
      explanation: demo.explanation,
      native,
      deprivileged,
      differs: native !== deprivileged,
    };
  });
