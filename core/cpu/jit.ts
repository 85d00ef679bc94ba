/**
 * The JIT engine's run: the same bursts as the reference interpreter (core/cpu/interpreter.ts)
 * with the same contract, but hot basic blocks run as compiled JavaScript functions
 * (core/cpu/jit-compile.ts). A burst starts where the interpreter's would, has the same
 * instruction limit (the checkpoint, the budget, the burst size), shrinks it after a page
 * walk as the interpreter does, and ends after a system instruction; a block runs only if
 * all its instructions fit under the limit, and everything else (cold code, the tail before
 * the limit, system instructions, instructions the JIT does not compile, fetches the TLB does
 * not hold) is handed to the interpreter inside the burst. So interrupts, devices and the
 * budgets are seen at the same instruction boundaries, and every count (instructions by
 * ring, TLB hits, misses and walk references) and the clock come out identical.
 * @category CPU
 */
import { hitSlot } from '../mmu/tlb';
import type { Cpu } from './cpu';
import { interpret, MAX_BURST } from './interpreter';
import { BlockContext, compileBlock, scanBlock, type Block } from './jit-compile';
import { lazyFlags } from './lazy-flags';

/** Tuning of the JIT (none of it changes a modelled number). */
export interface JitOptions {
  /** runs of a block by the interpreter before it is compiled */
  readonly hot: number;
}

/** The default tuning. */
export const DEFAULT_JIT_OPTIONS: JitOptions = { hot: 16 };

/** A block entry: where it starts and what is known of it. */
interface Entry {
  readonly pc: number;
  readonly pa: number;
  /** instructions of the block as last scanned (0: its first instruction is not compiled) */
  length: number;
  /** times run by the interpreter since (re)scanned */
  count: number;
  block: Block | null;
  /** times its code was found changed */
  stale: number;
}

/** Blocks found stale this often are left to the interpreter (code that rewrites itself in a loop). */
const MAX_STALE = 4;

/** Entries kept per CPU before the cache is dropped and refilled. */
const MAX_ENTRIES = 1 << 15;

/** A CPU's JIT: its block cache and the state its blocks share. */
export class Jit {
  /** entries by key (see `key`) */
  private readonly entries = new Map<number, Entry>();
  readonly context: BlockContext;
  /** blocks compiled, block runs, instructions retired in compiled blocks (host statistics) */
  readonly stats = { compiled: 0, runs: 0, instructions: 0 };

  constructor(
    readonly cpu: Cpu,
    readonly options: JitOptions = DEFAULT_JIT_OPTIONS,
  ) {
    this.context = new BlockContext(cpu);
  }

  /** The entry of the block at linear `pc`, physical `pa`, for the CPL and paging mode now. */
  entry(pc: number, pa: number, cpl: number, translating: boolean): Entry {
    // page frame (20 bits), word in page (10), linear page (20), CPL (2), paging (1): 53 bits, exact
    const key = ((((pc >>> 12) * 0x100000 + (pa >>> 12)) * 1024 + ((pc & 0xfff) >>> 2)) * 4 + cpl) * 2 + (translating ? 1 : 0);
    let e = this.entries.get(key);
    if (e === undefined) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      e = { pc, pa, length: scanBlock(this.cpu, pc, pa).length, count: 0, block: null, stale: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Compile an entry that became hot (or rescan it if its code changed). */
  compile(e: Entry): void {
    const instrs = scanBlock(this.cpu, e.pc, e.pa);
    e.length = instrs.length;
    e.count = 0;
    if (instrs.length === 0) return;
    e.block = compileBlock(this.cpu, e.pa, instrs);
    this.stats.compiled++;
  }

  /** The entry's code changed: back to the interpreter until it is hot again. */
  stale(e: Entry): void {
    e.block = null;
    e.count = 0;
    e.stale++;
    e.length = scanBlock(this.cpu, e.pc, e.pa).length;
  }
}

const jits = new WeakMap<Cpu, Jit>();

/** The CPU's JIT, made on first use (with `options`, or the defaults). */
export const jitOf = (cpu: Cpu, options?: JitOptions): Jit => {
  let j = jits.get(cpu);
  if (j === undefined) {
    j = new Jit(cpu, options);
    jits.set(cpu, j);
  }
  return j;
};

/** The code-page tag slot used when addresses are not translated. */
const UNTRANSLATED_TAG = new Int32Array(1);

/**
 * Run one burst with the JIT: the interpreter's contract (see {@link interpret}). Returns
 * whether a system instruction ended it.
 */
export const runJit = (m: Cpu): boolean => {
  // after STI exactly one instruction runs: the interpreter's case
  if (m.interruptShadow) return interpret(m);
  const jit = jitOf(m);
  const hot = jit.options.hot;
  const c = jit.context;
  c.useTlb();
  const mmu = m.mmu;
  const tlb = mmu.tlb;
  const cpl = m.cpl;
  const user = cpl === 3;
  const nonRoot = m.nonRoot;
  const translating = mmu.translating;
  const memorySize = m.memory.size;
  const c0 = m.time;
  const IC = m.instructionCycles;
  const WC = m.walkCycles;
  const w0 = mmu.walkReferences;
  let walksSeen = w0;
  const byBudget = m.instructionLimit - m.instructions;
  const byClock = Math.ceil((m.checkpoint - c0) / IC);
  let limit = Math.max(1, Math.min(byClock, byBudget, MAX_BURST)) | 0;
  let n = 0;
  // n when the retired instructions were last added to the CPU's counts
  let start = 0;
  // TLB hits not yet added to the MMU's count
  let hits = 0;
  let pc = m.pc;
  c.flags = m.flags;
  c.lk = 0;
  let codeVpn = -1;
  let codeSlot = -1;
  let codeBase = 0;
  const tags = translating ? tlb.tag : UNTRANSLATED_TAG;
  let system = false;
  for (;;) {
    // the code page as the interpreter's fetch would find it, without counting (yet)
    let pa = -1;
    if ((pc & 3) === 0) {
      if (pc >>> 12 === codeVpn && tags[codeSlot] === codeVpn) pa = codeBase | (pc & 0xfff);
      else if (translating) {
        const slot = hitSlot(tlb.tag, tlb.perm, tlb.setMask, tlb.ways, pc >>> 12, user, false);
        if (slot >= 0) {
          codeVpn = pc >>> 12;
          codeSlot = slot;
          codeBase = tlb.base[slot];
          pa = codeBase | (pc & 0xfff);
        }
      } else if (pc >>> 0 < memorySize) {
        codeVpn = pc >>> 12;
        codeSlot = 0;
        tags[0] = codeVpn;
        codeBase = pc & ~0xfff;
        pa = pc;
      }
    }
    const e = pa >= 0 ? jit.entry(pc, pa, cpl, translating) : null;
    if (e !== null && e.block === null && e.length > 0 && e.count >= hot && e.stale < MAX_STALE) jit.compile(e);
    if (e !== null && e.block !== null && n + e.length <= limit) {
      let done: number;
      try {
        done = e.block(c);
      } catch (err) {
        // the faulting instruction did not retire; pc, flags and counts as the interpreter leaves them
        n += c.done;
        hits += 1 + c.hits;
        if (translating) mmu.hits += hits;
        m.retiredByRing[cpl] += n - start;
        if (nonRoot) m.retiredNonRoot += n - start;
        m.sync();
        m.pc = c.pc;
        m.flags = lazyFlags(c.flags, c.lk, c.lx, c.ly, c.lr);
        throw err;
      }
      if (done < 0) {
        jit.stale(e);
        continue;
      }
      jit.stats.runs++;
      jit.stats.instructions += done;
      hits += 1 + c.hits;
      n += done;
      pc = c.pc;
    } else {
      // the interpreter runs the block (or the tail, or one instruction) inside this burst
      if (e !== null) e.count++;
      if (translating) mmu.hits += hits;
      hits = 0;
      m.retiredByRing[cpl] += n - start;
      if (nonRoot) m.retiredNonRoot += n - start;
      start = n;
      m.pc = pc;
      m.flags = lazyFlags(c.flags, c.lk, c.lx, c.ly, c.lr);
      c.lk = 0;
      const before = m.instructions;
      const most = e !== null && e.length > 0 ? Math.min(e.length, limit - n) : 1;
      system = interpret(m, most, c0 + n * IC, w0);
      n += m.instructions - before;
      start = n;
      pc = m.pc;
      c.flags = m.flags;
      // the TLB may have changed under the interpreter: find the code page again
      codeVpn = -1;
      if (system) break;
    }
    if (n >= limit || mmu.walkReferences !== walksSeen) {
      if (mmu.walkReferences !== walksSeen) {
        walksSeen = mmu.walkReferences;
        const rest = m.checkpoint - (c0 + n * IC + (walksSeen - w0) * WC);
        const byWalk = rest <= 0 ? n : n + Math.ceil(rest / IC);
        if (byWalk < limit) limit = byWalk;
      }
      if (n >= limit) break;
    }
  }
  if (system) return true;
  if (translating) mmu.hits += hits;
  m.retiredByRing[cpl] += n - start;
  if (nonRoot) m.retiredNonRoot += n - start;
  m.sync();
  m.pc = pc;
  m.flags = lazyFlags(c.flags, c.lk, c.lx, c.ly, c.lr);
  return false;
};
