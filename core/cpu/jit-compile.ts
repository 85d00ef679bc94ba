/**
 * The JIT's compiler: a guest basic block (straight-line innocuous instructions up to a
 * control transfer, the page's end or an instruction it does not compile) becomes one
 * JavaScript function (`new Function`), registers in locals, immediates and addresses as
 * constants, each instruction's body instantiated from its row of INSTRUCTION_CODE
 * (core/cpu/instruction-code.ts). What ends a block and what is compiled at all follow from
 * the ISA table: `flow` other than `next` ends a block; a row with no code, a privileged
 * row, a reserved-bit violation or an immediate word on the next page is left to the
 * interpreter.
 *
 * A compiled block checks on entry that guest memory still holds the words it was compiled
 * from (every writer of guest memory, the guest's stores, DMA, a VMM's writes, is seen so),
 * and leaves after an instruction that walked the page tables (the clock and the TLB moved:
 * the caller looks at the checkpoint and the code page again) or wrote one of its later
 * words (self-modifying code).
 * @category CPU
 */
import { HAS_EXT_BY_OPCODE, MNEMONIC_BY_OPCODE, RESERVED_BITS_BY_OPCODE } from '../isa/codec';
import { Flag, ISA } from '../isa/table';
import { hitSlot } from '../mmu/tlb';
import type { Cpu } from './cpu';
import { INSTRUCTION_CODE, type Operands } from './instruction-code';
import { LAZY_ADD, LAZY_LOGIC, LAZY_SUB, lazyFlags, less } from './lazy-flags';
import { PRIV_NONE } from './privilege';
import * as Sem from './semantics';

/** Most instructions in one block. */
export const MAX_BLOCK = 48;

/** What a block reads and writes besides guest registers and memory: the run's state, shared by the blocks of one CPU. */
export class BlockContext {
  /** lazy flags and the flags word, in and out */
  lk = 0;
  lx = 0;
  ly = 0;
  lr = 0;
  flags = 0;
  /** out: the pc after the block (or of the faulting instruction) */
  pc = 0;
  /** out: TLB hits of the block's fetches after its first word, and of its inline data accesses */
  hits = 0;
  /** out, when the block threw: the instructions that retired before the faulting one */
  done = 0;
  regs: Int32Array;
  i32: Int32Array;
  tlbTag: Int32Array;
  tlbPerm: Uint8Array;
  tlbBase: Int32Array;
  setMask = 0;
  ways = 0;

  constructor(readonly m: Cpu) {
    this.regs = m.regs;
    this.i32 = m.memory.i32;
    const tlb = m.mmu.tlb;
    this.tlbTag = tlb.tag;
    this.tlbPerm = tlb.perm;
    this.tlbBase = tlb.base;
  }

  /** Take the TLB in use now (it changes only between bursts: VM entry and exit). */
  useTlb(): void {
    const tlb = this.m.mmu.tlb;
    this.tlbTag = tlb.tag;
    this.tlbPerm = tlb.perm;
    this.tlbBase = tlb.base;
    this.setMask = tlb.setMask;
    this.ways = tlb.ways;
  }
}

/** A compiled block: the instructions retired, or -1 if guest memory no longer holds its code. */
export type Block = (c: BlockContext) => number;

/** One instruction of a block as scanned from memory. */
interface Scanned {
  readonly pc: number;
  readonly word: number;
  readonly imm: number;
  readonly ext: boolean;
  readonly mnemonic: keyof typeof INSTRUCTION_CODE;
}

const RESERVED = new Int32Array(RESERVED_BITS_BY_OPCODE.buffer, RESERVED_BITS_BY_OPCODE.byteOffset, RESERVED_BITS_BY_OPCODE.length);

/** Whether the JIT compiles the instruction word `w` at `pc` on this CPU (else the interpreter runs it). */
const compilable = (m: Cpu, w: number, pc: number): boolean => {
  const op = w >>> 24;
  const mn = MNEMONIC_BY_OPCODE[op];
  if (mn === undefined || INSTRUCTION_CODE[mn] === undefined) return false;
  if ((w & RESERVED[op]) !== 0 || m.privilegeByOpcode[op] !== PRIV_NONE) return false;
  return !(HAS_EXT_BY_OPCODE[op] !== 0 && (pc & 0xfff) === 0xffc);
};

/**
 * The block at linear `pc`, physical `pa` as memory holds it now: its instructions (none
 * if the first is not compiled).
 */
export const scanBlock = (m: Cpu, pc: number, pa: number): Scanned[] => {
  const i32 = m.memory.i32;
  const out: Scanned[] = [];
  let off = 0;
  while (out.length < MAX_BLOCK) {
    const at = (pc + off) | 0;
    const w = i32[(pa + off) >>> 2];
    if (!compilable(m, w, at)) break;
    const op = w >>> 24;
    const ext = HAS_EXT_BY_OPCODE[op] !== 0;
    const mnemonic = MNEMONIC_BY_OPCODE[op] as keyof typeof INSTRUCTION_CODE;
    out.push({ pc: at, word: w, imm: ext ? i32[(pa + off + 4) >>> 2] : 0, ext, mnemonic });
    off += ext ? 8 : 4;
    if (ISA[mnemonic].flow !== 'next' || ((pc + off) & 0xfff) === 0) break;
  }
  return out;
};

/** The semantics module as a plain object (the generated code reads `S.mulFlags`, `S.divide`). */
const SEMANTICS = { ...Sem };

const lit = (v: number): string => (v < 0 ? `(${v})` : `${v}`);

/**
 * Compile the scanned block at physical `pa` for this CPU's current privilege level and
 * paging mode (both fixed while a block runs: only system instructions change them).
 */
export const compileBlock = (m: Cpu, pa: number, instrs: readonly Scanned[]): Block => {
  const user = m.cpl === 3;
  const translating = m.mmu.translating;
  const used = new Set<number>();
  const read = (n: number): string => {
    if (n === 0) return '0';
    used.add(n);
    return `r${n}`;
  };
  const write = (n: number): string => {
    if (n === 0) return 'z';
    used.add(n);
    return `r${n}`;
  };
  // the physical words of the block, checked on entry and after stores
  const words: string[] = [];
  const wordsFrom: number[] = [];
  let idx = pa >>> 2;
  for (const ins of instrs) {
    wordsFrom.push(words.length);
    words.push(`i32[${idx++}] !== ${lit(ins.word)}`);
    if (ins.ext) words.push(`i32[${idx++}] !== ${lit(ins.imm)}`);
  }
  // fetch hits through each instruction (the first word is the dispatcher's fetch)
  const fetched: number[] = [];
  let f = -1;
  for (const ins of instrs) {
    f += ins.ext ? 2 : 1;
    fetched.push(f);
  }
  const body: string[] = [];
  instrs.forEach((ins, k) => {
    const w = ins.word;
    const a = (w >>> 20) & 15;
    const b = (w >>> 16) & 15;
    const cr = (w >>> 12) & 15;
    const o: Operands = {
      ra: read(a),
      rb: read(b),
      rc: read(cr),
      wa: write(a),
      reg: read,
      wreg: write,
      imm: lit(ins.imm | 0),
      spOut: `regs[15] = ${read(15)};`,
      spIn: `r15 = regs[15];`,
    };
    const code = INSTRUCTION_CODE[ins.mnemonic]!;
    const nextPc = (ins.pc + (ins.ext ? 8 : 4)) | 0;
    body.push(`i = ${k}; next = ${lit(nextPc)};`);
    body.push(code.body(o));
    const last = k === instrs.length - 1;
    if (!last && code.memory !== 'none') body.push(`if (mmu.walkReferences !== wr) { done = ${k + 1}; break body; }`);
    if (!last && code.memory === 'write') body.push(`if (${words.slice(wordsFrom[k + 1]).join(' || ')}) { done = ${k + 1}; break body; }`);
  });
  const regs = [...used].sort((x, y) => x - y);
  const load = regs.map((r) => `let r${r} = regs[${r}];`).join(' ');
  const store = regs.map((r) => `regs[${r}] = r${r};`).join(' ');
  const source = `
return function block(c) {
  const i32 = c.i32;
  if (${words.join(' || ')}) return -1;
  const m = c.m, regs = c.regs, mmu = m.mmu, tlbTag = c.tlbTag, tlbPerm = c.tlbPerm, tlbBase = c.tlbBase, setMask = c.setMask, ways = c.ways;
  const user = ${user}, translating = ${translating};
  const wr = mmu.walkReferences;
  let lk = c.lk, lx = c.lx, ly = c.ly, lr = c.lr, flags = c.flags;
  ${load}
  let z = 0, dataHits = 0, next = 0, i = 0, done = ${instrs.length};
  try {
    body: {
${body.join('\n')}
    }
  } catch (e) {
    ${store}
    c.lk = lk; c.lx = lx; c.ly = ly; c.lr = lr; c.flags = flags;
    c.pc = PCS[i]; c.hits = FETCHED[i] + dataHits; c.done = i;
    throw e;
  }
  ${store}
  c.lk = lk; c.lx = lx; c.ly = ly; c.lr = lr; c.flags = flags;
  c.pc = next; c.hits = FETCHED[done - 1] + dataHits;
  return done;
};`;
  const make = new Function(
    'S', 'lazyFlags', 'less', 'hitSlot', 'ZF', 'CF', 'LAZY_ADD', 'LAZY_SUB', 'LAZY_LOGIC', 'PCS', 'FETCHED',
    source,
  ) as (...args: unknown[]) => Block;
  return make(
    SEMANTICS, lazyFlags, less, hitSlot, Flag.ZF, Flag.CF, LAZY_ADD, LAZY_SUB, LAZY_LOGIC,
    Int32Array.from(instrs.map((i) => i.pc)), Int32Array.from(fetched),
  );
};
