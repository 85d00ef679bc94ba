/**
 * Shared helpers of the machine tests: assemble a snippet, load it at address 0, run it with
 * an instruction budget and hand back the machine for inspection.
 *
 * Snippets see a few constants (passed as assembler defines): gate flag words made with
 * `gateFlags`, flag bits and the device ports, so that an IDT can be written in the snippet
 * itself:
 * ```
 *         .org IDT + 14*8
 *         .word pf_handler, KGATE
 * ```
 */
import * as E from 'fp-ts/Either';
import { assemble, formatAsmError, type Program } from '../../core/asm';
import { gateFlags } from '../../core/cpu/idt';
import type { Cpu } from '../../core/cpu/cpu';
import { uniprocessor, type MachineConfig } from '../../core/platform/uniprocessor';
import { pagingOn } from '../../core/platform/bare-metal';
import type { StopReason } from '../../core/cpu/stop';
import { Port } from '../../core/devices/ports';
import { Flag } from '../../core/isa/table';

/** Gate flag words (present; `dpl`: lowest ring allowed to INT through it; `ring` of the handler). */
export const GATES = {
  /** interrupt gate, DPL 0, handler in ring 0 */
  KGATE: gateFlags({ dpl: 0, ring: 0 }),
  /** interrupt gate, DPL 3 (INT n allowed from ring 3), handler in ring 0 */
  UGATE: gateFlags({ dpl: 3, ring: 0 }),
  /** trap gate (keeps IF), DPL 0, handler in ring 0 */
  KTRAP: gateFlags({ dpl: 0, ring: 0, trap: true }),
  /** trap gate, DPL 3, handler in ring 0 */
  UTRAP: gateFlags({ dpl: 3, ring: 0, trap: true }),
  /** interrupt gate, DPL 3, handler in ring 3 */
  RING3GATE: gateFlags({ dpl: 3, ring: 3 }),
} as const;

/** Where snippets put their interrupt descriptor table by convention (after at most 2 KiB of code). */
export const IDT = 0x800;

/** Constants every snippet can use. */
export const DEFINES: Readonly<Record<string, number>> = {
  ...GATES,
  IDT,
  F_CF: Flag.CF,
  F_ZF: Flag.ZF,
  F_SF: Flag.SF,
  F_IF: Flag.IF,
  F_OF: Flag.OF,
  F_IOPL: Flag.IOPL,
  IOPL1: 1 << 12,
  IOPL3: 3 << 12,
  PIC_CMD: Port.picCommand,
  PIC_MASK: Port.picMask,
  TIMER: Port.timerPeriod,
  BLK_SECTOR: Port.blockSector,
  BLK_ADDR: Port.blockAddress,
  BLK_CMD: Port.blockCommand,
  CONSOLE: Port.consoleData,
  CONSOLE_STATUS: Port.consoleStatus,
  MARKER: Port.regionMarker,
  POWER: Port.power,
};

/** Assemble a snippet at `origin` (default 0); throws with the formatted errors if it does not assemble. */
export const assembleSnippet = (source: string, defines: Readonly<Record<string, number>> = {}, origin = 0): Program => {
  const r = assemble(source, { file: 'snippet.s', defines: { ...DEFINES, ...defines }, origin });
  if (E.isLeft(r)) throw new Error(`snippet does not assemble:\n${r.left.map(formatAsmError).join('\n')}`);
  return r.right;
};

const SYMBOLS = new WeakMap<Cpu, Record<string, number>>();

/** Address of a label of the snippet a machine was booted with. */
export const sym = (m: Cpu, name: string): number => {
  const v = SYMBOLS.get(m)?.[name];
  if (v === undefined) throw new Error(`no label '${name}' in the snippet`);
  return v;
};

/** Options of {@link boot} and {@link runSnippet}. */
export interface SnippetOptions extends MachineConfig {
  /** extra assembler defines */
  readonly defines?: Readonly<Record<string, number>>;
  /** called after loading, before running (machine state, VMCS, handlers ...) */
  readonly setup?: (m: Cpu) => void;
  /** instruction budget of the run (default 10 000) */
  readonly budget?: number;
  /** cycle budget of the run (default none) */
  readonly maxCycles?: number;
}

/** Default physical memory of test machines: 256 KiB keeps machine creation cheap. */
export const TEST_MEMORY = 0x40000;

/** Assemble a snippet and load it at physical address 0 of a fresh machine (not run). */
export const boot = (source: string, o: SnippetOptions = {}): Cpu => {
  const m = uniprocessor({ memoryBytes: TEST_MEMORY, ...o });
  const p = assembleSnippet(source, o.defines);
  m.load(0, p.bytes);
  SYMBOLS.set(m, p.symbols);
  o.setup?.(m);
  return m;
};

/** Assemble, load at 0, run with a budget; returns the machine (its `stopReason` says why it stopped). */
export const runSnippet = (source: string, o: SnippetOptions = {}): Cpu => {
  const m = boot(source, o);
  m.run(o.budget ?? 10_000, o.maxCycles);
  return m;
};

/** Why the machine stopped (fails if it has not run). */
export const stopOf = (m: Cpu): StopReason => {
  if (m.stopReason === null) throw new Error('the machine has not stopped');
  return m.stopReason;
};

/** The 32-bit word at physical address `pa`, unsigned. */
export const word = (m: Cpu, pa: number): number => m.memory.read32(pa) >>> 0;

/** The `n` words at physical addresses pa, pa+4, ..., unsigned. */
export const wordsAt = (m: Cpu, pa: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => word(m, pa + 4 * i));

/** A register as an unsigned number. */
export const u32 = (m: Cpu, r: number): number => m.regs[r] >>> 0;

/** Write a word into physical memory (page tables and data prepared by a test). */
export const poke = (m: Cpu, pa: number, v: number): void => m.memory.write32(pa, v);

/** The arithmetic flags set in `flags`, in the order CF|ZF|SF|OF ('' when none). */
export const arith = (flags: number): string =>
  (
    [
      ['CF', Flag.CF],
      ['ZF', Flag.ZF],
      ['SF', Flag.SF],
      ['OF', Flag.OF],
    ] as const
  )
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name)
    .join('|');

/**
 * Assembly that leaves ring 0 by IRET: builds the frame (sp, flags, cs, pc) on the current
 * stack and returns to `entry` at ring `cpl`. Exactly 9 instructions; clobbers r1.
 */
export const iretTo = (o: { entry: string; sp: number; cpl?: number; flags?: string | number }): string => `
        li r1, ${o.sp}
        push r1
        li r1, ${o.flags ?? 0}
        push r1
        li r1, ${o.cpl ?? 3}
        push r1
        lea r1, ${o.entry}
        push r1
        iret
`;

/** Page-table entry bits, written out for the tests. */
export const P = 1;
export const W = 2;
export const U = 4;
export const A = 0x20;
export const D = 0x40;

/** Where paging tests put their page directory and (single) page table by convention. */
export const PD = 0x30000;
export const PT = 0x31000;

/** Assembly that loads cr3 with {@link PD} and turns paging on (4 instructions; clobbers r1). */
export const PAGING_ON = `${pagingOn(PD)}
`;

/**
 * Build page tables in physical memory for the first 4 MiB of linear addresses: one
 * directory entry (at `pd`, pointing at `pt`, with `pdeFlags`) and one table entry per
 * mapping `[linear address, physical address, flags]`.
 */
export const mapPages = (
  m: Cpu,
  mappings: readonly (readonly [va: number, pa: number, flags: number])[],
  o: { pd?: number; pt?: number; pdeFlags?: number } = {},
): void => {
  const pd = o.pd ?? PD;
  const pt = o.pt ?? PT;
  poke(m, pd, pt | (o.pdeFlags ?? P | W | U));
  for (const [va, pa, flags] of mappings) {
    if (va >>> 22 !== 0) throw new Error('mapPages maps the first 4 MiB only');
    poke(m, pt + ((va >>> 12) & 0x3ff) * 4, (pa & ~0xfff) | flags);
  }
};

/** Identity mappings of the pages in [from, to) with `flags`. */
export const identity = (from: number, to: number, flags: number): [number, number, number][] => {
  const r: [number, number, number][] = [];
  for (let a = from; a < to; a += 0x1000) r.push([a, a, flags]);
  return r;
};

/**
 * Assembly of an IDT at {@link IDT}: gates by vector, each a handler label and optionally
 * a flag-word constant (default KGATE). Emits `.org`/`.word` lines in vector order; it must
 * come last in a snippet.
 */
export const idt = (gates: Readonly<Record<number, string | readonly [handler: string, flags: string]>>): string =>
  Object.entries(gates)
    .map(([v, g]) => [Number(v), typeof g === 'string' ? [g, 'KGATE'] : g] as const)
    .sort(([a], [b]) => a - b)
    .map(([v, [handler, flags]]) => `        .org IDT + ${v}*8\n        .word ${handler}, ${flags}\n`)
    .join('');

/** Ring 0's start: its stack pointer `sp`, the stack events from ring 3 switch to (cr4), the IDT at IDT. */
export const kernelStart = (sp: number, ring0Stack: number): string => `
        li sp, ${sp}
        li r1, ${ring0Stack}
        wrcr cr4, r1            ; ring 0's stack for events from ring 3
        li r1, IDT
        lidt r1`;

/**
 * Ring-0 prologue of the ring-3 tests: kernel stack 0x2000 (also cr4, the stack for entering
 * ring 0 from outside), the IDT at {@link IDT}, `setup`, then IRET to the label `user` at
 * `cpl` with sp 0x3000 and `flags`. 14 instructions plus those of `setup`; the label `user`
 * follows it.
 */
export const enterUser = (flags: string | number = 0, setup = '', cpl = 3): string => `${kernelStart(0x2000, 0x2000)}
${setup}
${iretTo({ entry: 'user', sp: 0x3000, flags, cpl })}
user:
`;
