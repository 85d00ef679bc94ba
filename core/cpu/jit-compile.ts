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
  /** out: TLB hits of the block's fetches and of its inline data accesses */
  hits = 0;
  /** out, when the block threw: the instructions that retired before the faulting one */
  done = 0;
  /** out, when the region returned THREW: what it caught (a fault, a VM exit) */
  caught: unknown = null;
  /** in: instructions the block may retire (it runs a next block only if all of it fits) */
  room = 0;
  /** in: the physical address of the frame holding the code */
  frame = 0;
  regs: Int32Array;
  i32: Int32Array;
  u8: Uint8Array;
  tlbTag: Int32Array;
  tlbPerm: Uint8Array;
  tlbBase: Int32Array;
  setMask = 0;
  ways = 0;

  constructor(readonly m: Cpu) {
    this.regs = m.regs;
    this.i32 = m.memory.i32;
    this.u8 = m.memory.u8;
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

/** A compiled region: the instructions retired, -1 if guest memory no longer holds its code, or THREW. */
export type Block = (c: BlockContext) => number;

/**
 * What a region returns when an instruction raised an exception (in `c.caught`, with pc,
 * flags and counts in the context as for a throw): handed back rather than thrown again,
 * since a throw costs microseconds, and a throw in a large generated function tens of them.
 */
export const THREW = -2;

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

/** The semantics module as a plain object (the generated code reads `S.mulFlags`, `S.divisionFault`). */
const SEMANTICS = { ...Sem };

const lit = (v: number): string => (v < 0 ? `(${v})` : `${v}`);

/** Most instructions in one region. */
export const MAX_REGION = 128;

/** The blocks of a page's region: those at the entries and those reachable from them by direct branches, calls and returns on the same page. */
const discover = (m: Cpu, entries: readonly number[], pa: number): Map<number, Scanned[]> => {
  const blocks = new Map<number, Scanned[]>();
  const page = entries[0] >>> 12;
  const frame = pa & ~0xfff;
  const queue = [...entries];
  let total = 0;
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (blocks.has(at) || at >>> 12 !== page || (at & 3) !== 0) continue;
    const instrs = scanBlock(m, at, frame | (at & 0xfff));
    if (instrs.length === 0 || (total + instrs.length > MAX_REGION && blocks.size > 0)) continue;
    blocks.set(at, instrs);
    total += instrs.length;
    const last = instrs[instrs.length - 1];
    const next = (last.pc + (last.ext ? 8 : 4)) | 0;
    const target = (next + last.imm) | 0;
    const flow = ISA[last.mnemonic].flow;
    if (flow === 'branch' || flow === 'jump' || flow === 'call') queue.push(target);
    if (flow === 'next' || flow === 'branch' || flow === 'call' || flow === 'indirect-call') queue.push(next);
  }
  return blocks;
};

/**
 * Compiled regions, shared by every CPU of the process, keyed by what their source is made
 * of (see {@link regionKey}): a region's code depends on its linear addresses, its words,
 * the CPL and the paging mode, not on the frame that holds it (a parameter), so a forked
 * process's copy of a code page, or the next run of the same guest, reuses the function (and
 * V8's optimized code for it) without generating its source again. Least recently used
 * first (a hit moves a region to the end): when full, the older half goes, so code every run
 * meets (the shipped kernel's) survives a stream of one-shot code (the fuzzer's programs).
 */
const REGIONS = new Map<string, Region>();
let maxCachedRegions = 1 << 14;

/** Set how many compiled regions the process keeps (tests of the eviction); returns the previous bound. */
export const setMaxCachedRegions = (n: number): number => {
  const before = maxCachedRegions;
  maxCachedRegions = n;
  return before;
};

/**
 * What a region's source is a function of: user mode or not, paging or not, and its blocks
 * in discovery order, each instruction's linear pc, word and immediate (the mnemonic, the
 * operands and the block boundaries follow from them). Equal keys give equal sources.
 */
const regionKey = (user: boolean, translating: boolean, blocks: ReadonlyMap<number, readonly Scanned[]>): string => {
  let k = 0;
  KEY[k++] = (user ? 1 : 0) | (translating ? 2 : 0);
  for (const [start, instrs] of blocks) {
    KEY[k++] = start;
    KEY[k++] = instrs.length;
    for (const ins of instrs) {
      KEY[k++] = ins.pc;
      KEY[k++] = ins.word;
      KEY[k++] = ins.imm;
    }
  }
  // each 32-bit number as two UTF-16 code units: exact, and far cheaper to build than decimal text
  return String.fromCharCode.apply(null, KEY_UNITS.subarray(0, 2 * k) as unknown as number[]);
};

/** The numbers of a region's key (at most 1 + 2 per block + 3 per instruction), and the same memory as 16-bit units. */
const KEY = new Int32Array(1 + 5 * MAX_REGION);
const KEY_UNITS = new Uint16Array(KEY.buffer);

/** The cached region of `key`, now the most recently used; undefined if none. */
const cachedRegion = (key: string): Region | undefined => {
  const r = REGIONS.get(key);
  if (r !== undefined) {
    REGIONS.delete(key);
    REGIONS.set(key, r);
  }
  return r;
};

/** Keep `r` under `key`; when the cache is full, the least recently used half is dropped first. */
const cacheRegion = (key: string, r: Region): void => {
  if (REGIONS.size >= maxCachedRegions) {
    let drop = REGIONS.size >>> 1;
    for (const k of REGIONS.keys()) {
      if (drop-- <= 0) break;
      REGIONS.delete(k);
    }
  }
  REGIONS.set(key, r);
};

/** How many compiled regions the process keeps now (tests). */
export const cachedRegions = (): number => REGIONS.size;

/** Forget every compiled region (tests). */
export const clearRegionCache = (): void => REGIONS.clear();

/** The first block's pc of a non-empty region. */
const pc0 = (blocks: ReadonlyMap<number, unknown>): number => blocks.keys().next().value as number;

/**
 * Calls of a new region that run one block each (see {@link Region.young}). V8 allocates a
 * function's feedback only after it has run a while (lazy feedback allocation), and a
 * region's first call can loop long enough to be optimized on the stack: its entry and exit
 * code would then be optimized with no feedback, and deoptimize at every later call. Short
 * first calls pass through entry and exit often before that, doing the guest's work.
 */
export const YOUNG_CALLS = 40;

/** A compiled region and the blocks it holds: start pc to instructions. */
export interface Region {
  readonly block: Block;
  readonly lengths: ReadonlyMap<number, number>;
  /** calls left that the caller gives room for one block only ({@link YOUNG_CALLS} at first) */
  young: number;
}

/**
 * Compile the region of one code page (physical `pa`) entered at linear `entries`, for this
 * CPU's current privilege level and paging mode (both fixed while code runs: only system
 * instructions change them). The region's blocks run in a loop (a switch on pc, entered at
 * `c.pc`, which must be one of its blocks) while the room the caller gives lasts for a whole
 * next block; anything else leaves to the caller with the pc reached.
 */
export const compileRegion = (m: Cpu, entries: readonly number[], pa: number): Region | null => {
  const blocks = discover(m, entries, pa);
  if (blocks.size === 0) return null;
  const user = m.cpl === 3;
  const translating = m.mmu.translating;
  const key = regionKey(user, translating, blocks);
  const cached = cachedRegion(key);
  if (cached !== undefined) return cached;
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
  // the physical words of the region: checked on entry; stores to them leave the region
  const codeWords = new Uint8Array(1024);
  // word offsets from the frame's first word (the code is the same for every frame holding
  // the same words) and the words they held, compared in a loop on entry: as one condition
  // per word, the entry was a chain of up to 256 branches ahead of the instructions, much of
  // what V8's optimizing compiler worked through (README, Engines)
  const checkAt: number[] = [];
  const checkWord: number[] = [];
  const check = (idx: number, word: number): void => {
    codeWords[idx] = 1;
    checkAt.push(idx);
    checkWord.push(word);
  };
  for (const instrs of blocks.values())
    for (const ins of instrs) {
      const idx = (ins.pc & 0xfff) >>> 2;
      check(idx, ins.word);
      if (ins.ext) check(idx + 1, ins.imm);
    }
  const pcs: number[] = [];
  const inBlock: number[] = [];
  const fetchIn: number[] = [];
  const cases: string[] = [];
  // block number by word of the page: the switch on it compiles to a jump table
  const index = new Int16Array(1024).fill(-1);
  const base = pc0(blocks) & ~0xfff;
  for (const [start, instrs] of blocks) {
    index[(start & 0xfff) >>> 2] = cases.length;
    // a block that branches back to its own start (a loop's body) loops in place: no trip through the switch
    const tail = instrs[instrs.length - 1];
    const flow = ISA[tail.mnemonic].flow;
    const selfLoop = (flow === 'branch' || flow === 'jump') && ((tail.pc + (tail.ext ? 8 : 4) + tail.imm) | 0) === start;
    const lines: string[] = [`case ${cases.length}: {`];
    // in the loop, TLB hits of fetches are not added per pass: they are passes x the block's
    // fetched words, added when the loop is left (l0: `done` at its entry; see the epilogue)
    const fetchedWords = instrs.reduce((a, ins) => a + (ins.ext ? 2 : 1), 0);
    const fold = `hits += ((done - l0) / ${instrs.length}) * ${fetchedWords}; l0 = -1;`;
    if (selfLoop) lines.push(`l0 = done; lL = ${instrs.length}; lF = ${fetchedWords};`, 'for (;;) {');
    lines.push(`if (done + ${instrs.length} > room) break region;`);
    let fetched = 0;
    instrs.forEach((ins, k) => {
      const gi = pcs.length;
      fetched += ins.ext ? 2 : 1;
      pcs.push(ins.pc);
      inBlock.push(k);
      fetchIn.push(fetched);
      const w = ins.word;
      const o: Operands = {
        ra: read((w >>> 20) & 15),
        rb: read((w >>> 16) & 15),
        rc: read((w >>> 12) & 15),
        wa: write((w >>> 20) & 15),
        reg: read,
        wreg: write,
        imm: lit(ins.imm | 0),
        sp: read(15),
        wsp: write(15),
        wrote: (p) => `if ((${p} & ~0xfff) === frame && CODE[(${p} & 0xfff) >>> 2] !== 0) sw = 1;`,
        slow: 'sw = 1;',
        // ends the region with the fault as a value (the catch's path, without a throw)
        raise: (fault) => `{ fault = ${fault}; break region; }`,
      };
      const code = INSTRUCTION_CODE[ins.mnemonic]!;
      const nextPc = (ins.pc + (ins.ext ? 8 : 4)) | 0;
      const text = code.body(o);
      const last = k === instrs.length - 1;
      // the faulting instruction's index for the catch, and the next pc, only where they are read
      if (code.memory !== 'none' || code.faults === true) lines.push(`i = ${gi};`);
      if (last || code.memory !== 'none' || /\bnext\b/.test(text)) lines.push(`next = ${lit(nextPc)};`);
      lines.push(text);
      const leave = `{ ${selfLoop ? fold : ''}done += ${k + 1}; hits += ${fetched}; pc = next; break region; }`;
      if (code.memory === 'write') lines.push(`if (sw !== 0 || mmu.walkReferences !== wr) ${leave}`);
      else if (code.memory === 'read') lines.push(`if (mmu.walkReferences !== wr) ${leave}`);
    });
    if (selfLoop) lines.push(`done += ${instrs.length};`, `if (next !== ${lit(start)}) { ${fold} pc = next; continue region; }`, '}', '}');
    else lines.push(`done += ${instrs.length}; hits += ${fetched}; pc = next; continue region;`, '}');
    cases.push(lines.join('\n'));
  }
  const lengths = new Map([...blocks].map(([at, instrs]) => [at, instrs.length]));
  const regs = [...used].sort((x, y) => x - y);
  const load = regs.map((r) => `let r${r} = regs[${r}];`).join(' ');
  const store = regs.map((r) => `regs[${r}] = r${r};`).join(' ');
  const source = `
return function region(c) {
  // constants as literals of the function (closure variables are loaded and checked at each use)
  const LAZY_ADD = ${LAZY_ADD}, LAZY_SUB = ${LAZY_SUB}, LAZY_LOGIC = ${LAZY_LOGIC}, ZF = ${Flag.ZF}, CF = ${Flag.CF};
  const i32 = c.i32, frame = c.frame, F = frame >>> 2;
  for (let k = 0; k < ${checkAt.length}; k++) if (i32[F + CHECK_AT[k]] !== CHECK_WORD[k]) return -1;
  const m = c.m, regs = c.regs, u8 = c.u8, mmu = m.mmu, tlbTag = c.tlbTag, tlbPerm = c.tlbPerm, tlbBase = c.tlbBase, setMask = c.setMask, ways = c.ways, room = c.room;
  const user = ${user}, translating = ${translating};
  const wr = mmu.walkReferences;
  let lk = c.lk, lx = c.lx, ly = c.ly, lr = c.lr, flags = c.flags;
  ${load}
  let z = 0, dataHits = 0, dSlot = 0, eSlot = 0, next = 0, i = 0, done = 0, hits = 0, sw = 0, pc = c.pc, l0 = -1, lL = 1, lF = 0;
  // what the instruction at PCS[i] raised: thrown from deeper down (caught), or found by the region itself
  let fault = null;
  try {
    region: for (;;) {
      const off = (pc - ${lit(base)}) >>> 0;
      switch (off < 4096 && (off & 3) === 0 ? INDEX[off >>> 2] : -1) {
${cases.join('\n')}
      }
      break region;
    }
  } catch (e) {
    fault = e;
  }
  // either way out: the hits of a loop left partway, the registers and the lazy flags
  if (l0 >= 0) hits += ((done - l0) / lL) * lF;
  ${store}
  c.lk = lk; c.lx = lx; c.ly = ly; c.lr = lr; c.flags = flags;
  if (fault !== null) {
    c.pc = PCS[i]; c.hits = hits + FETCH_IN[i] + dataHits; c.done = done + IN_BLOCK[i];
    c.caught = fault;
    return THREW;
  }
  c.pc = pc; c.hits = hits + dataHits;
  return done;
};`;
  const make = new Function(
    'S', 'lazyFlags', 'less', 'hitSlot', 'PCS', 'IN_BLOCK', 'FETCH_IN', 'CODE', 'INDEX', 'THREW', 'CHECK_AT', 'CHECK_WORD',
    source,
  ) as (...args: unknown[]) => Block;
  const block = make(
    SEMANTICS, lazyFlags, less, hitSlot,
    Int32Array.from(pcs), Int32Array.from(inBlock), Int32Array.from(fetchIn), codeWords, index, THREW, Int16Array.from(checkAt), Int32Array.from(checkWord),
  );
  const region = { block, lengths, young: YOUNG_CALLS };
  cacheRegion(key, region);
  return region;
};
