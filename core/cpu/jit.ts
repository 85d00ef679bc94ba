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
import { interpretCaught, limitAfterWalk, NOTHING_THROWN } from './interpreter';
import { BlockContext, compileRegion, scanBlock, THREW, type Region } from './jit-compile';
import { lazyFlags, zeroWitness } from './lazy-flags';

/** Tuning of the JIT (none of it changes a modelled number). */
export interface JitOptions {
  /** runs of a block by the interpreter before it is compiled */
  readonly hot: number;
}

/** The default tuning. */
export const DEFAULT_JIT_OPTIONS: JitOptions = { hot: 256 };

/** The tuning of JITs made from now on without options (tests compile everything at once with `hot: 0`). */
let defaults: JitOptions = DEFAULT_JIT_OPTIONS;

/** Set the tuning of JITs made from now on without options; returns the previous one. */
export const setJitDefaults = (o: JitOptions): JitOptions => {
  const before = defaults;
  defaults = o;
  return before;
};

/** A block the JIT compiled: the region that holds it and its instructions. */
interface CompiledBlock {
  readonly region: Region;
  readonly length: number;
}

/** What the JIT knows of one code page (linear and physical, at one CPL and paging mode). */
interface PageCode {
  /** compiled blocks by start pc */
  readonly compiled: Map<number, CompiledBlock>;
  /** block starts run by the interpreter: runs and scanned instructions */
  readonly cold: Map<number, { runs: number; length: number }>;
  /** times the page's code was found changed */
  stale: number;
}

/**
 * Most instructions of one JIT burst: larger than the interpreter's (MAX_BURST). Nothing
 * modelled happens where a burst ends for its size alone (devices, interrupts, budgets and
 * turns are at the checkpoint, which both engines end their bursts at), and a burst ends
 * partway through a compiled loop, whose tail the interpreter runs: fewer such ends.
 */
const MAX_JIT_BURST = 1 << 20;

/** Instructions the interpreter runs per call in cold code. */
const COLD_QUANTUM = 128;

/** Stale findings of a page before it is left to the interpreter (code that rewrites itself in a loop). */
const MAX_STALE = 4;

/** Pages kept per CPU before the cache is dropped and refilled. */
const MAX_PAGES = 1 << 12;

/** A CPU's JIT: its code cache and the state its regions share. */
export class Jit {
  private readonly pages = new Map<number, PageCode>();
  readonly context: BlockContext;
  /**
   * host statistics: regions compiled, the guest instructions they hold and the host
   * milliseconds compiling them took (a region from the process's cache included), region
   * runs, instructions retired in compiled code, calls of the interpreter, bursts
   */
  readonly stats = { compiled: 0, compiledInstructions: 0, compileMs: 0, runs: 0, instructions: 0, interpreted: 0, bursts: 0 };

  constructor(
    readonly cpu: Cpu,
    readonly options: JitOptions = defaults,
  ) {
    this.context = new BlockContext(cpu);
  }

  /** The code of the page holding linear `pc` at physical `pa`, for the CPL and paging mode now. */
  page(pc: number, pa: number, cpl: number, translating: boolean): PageCode {
    // linear page (20 bits), frame (20), CPL (2), paging (1): exact in a double
    const key = (((pc >>> 12) * 0x100000 + (pa >>> 12)) * 4 + cpl) * 2 + (translating ? 1 : 0);
    let p = this.pages.get(key);
    if (p === undefined) {
      if (this.pages.size >= MAX_PAGES) this.pages.clear();
      p = { compiled: new Map(), cold: new Map(), stale: 0 };
      this.pages.set(key, p);
    }
    return p;
  }

  /**
   * The block at `pc` is run by the interpreter once more: its instructions (0 if its first
   * is not compiled). When it became hot, a region entered there is compiled.
   */
  cold(p: PageCode, pc: number, pa: number): number {
    let c = p.cold.get(pc);
    if (c === undefined) {
      c = { runs: 0, length: scanBlock(this.cpu, pc, pa).length };
      p.cold.set(pc, c);
    }
    c.runs++;
    if (c.length > 0 && c.runs > this.options.hot && p.stale < MAX_STALE) {
      const t0 = performance.now();
      const r = compileRegion(this.cpu, [pc], pa);
      this.stats.compileMs += performance.now() - t0;
      if (r !== null) {
        for (const length of r.lengths.values()) this.stats.compiledInstructions += length;
        for (const [at, length] of r.lengths)
          if (!p.compiled.has(at)) {
            p.compiled.set(at, { region: r, length });
            p.cold.delete(at);
          }
        this.stats.compiled++;
      }
    }
    return c.length;
  }

  /** Whether the block at `pc` has run often enough to be counted block by block (it will be compiled soon). */
  heating(p: PageCode, pc: number): boolean {
    const c = p.cold.get(pc);
    return c !== undefined && c.runs * 2 > this.options.hot;
  }

  /** The page's code changed: back to the interpreter until it is hot again. */
  stale(p: PageCode): void {
    p.compiled.clear();
    p.cold.clear();
    p.stale++;
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

/** Whether the interpreter's last burst inside a JIT burst ended with a system instruction. */
const ENDED = { system: false };

/**
 * Run one burst with the JIT: the interpreter's contract (see {@link interpretCaught}), so
 * what the burst raised (a fault, a VM exit) is handed back, NOTHING_THROWN if nothing.
 */
export const runJit = (m: Cpu): unknown => {
  // after STI exactly one instruction runs: the interpreter's case
  if (m.interruptShadow) return interpretCaught(m);
  const jit = jitOf(m);
  const c = jit.context;
  jit.stats.bursts++;
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
  let limit = Math.max(1, Math.min(byClock, byBudget, MAX_JIT_BURST)) | 0;
  let n = 0;
  // n when the retired instructions were last added to the CPU's counts
  let start = 0;
  // TLB hits not yet added to the MMU's count
  let hits = 0;
  let pc = m.pc;
  c.flags = m.flags;
  c.lk = 0;
  c.lr = zeroWitness(c.flags);
  let codeVpn = -1;
  let codeSlot = -1;
  let codeBase = 0;
  const tags = translating ? tlb.tag : UNTRANSLATED_TAG;
  let system = false;
  // the code of the current page
  let page: PageCode | null = null;
  let pageVpn = -1;
  let pageDelta = 0;
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
    if (pa >= 0 && (page === null || pc >>> 12 !== pageVpn || pa - pc !== pageDelta)) {
      page = jit.page(pc, pa, cpl, translating);
      pageVpn = pc >>> 12;
      pageDelta = pa - pc;
    }
    const compiled = pa >= 0 && page !== null ? page.compiled.get(pc) : undefined;
    const length = compiled !== undefined ? compiled.length : 0;
    if (compiled !== undefined && n + length <= limit) {
      let done: number;
      const region = compiled.region;
      // a young region runs one block per call (see YOUNG_CALLS)
      if (region.young > 0) {
        region.young--;
        c.room = length;
      } else c.room = limit - n;
      c.pc = pc;
      c.frame = pa & ~0xfff;
      done = region.block(c);
      if (done === THREW) {
        const err = c.caught;
        c.caught = null;
        // the faulting instruction did not retire; pc, flags and counts as the interpreter leaves them
        n += c.done;
        hits += c.hits;
        if (translating) mmu.hits += hits;
        m.retiredByRing[cpl] += n - start;
        m.retiredNonRoot += nonRoot ? n - start : 0;
        m.sync();
        m.pc = c.pc;
        m.flags = lazyFlags(c.flags, c.lk, c.lx, c.ly, c.lr);
        return err;
      }
      if (done < 0) {
        jit.stale(page!);
        continue;
      }
      jit.stats.runs++;
      jit.stats.instructions += done;
      hits += c.hits;
      n += done;
      pc = c.pc;
    } else {
      // the interpreter runs the block (or the tail, or one instruction) inside this burst
      const scanned = pa >= 0 && length === 0 ? jit.cold(page!, pc, pa) : length;
      // compiled just now, and it fits: run it
      const now = length === 0 && scanned > 0 ? page!.compiled.get(pc) : undefined;
      if (now !== undefined && n + now.length <= limit) continue;
      if (translating) mmu.hits += hits;
      hits = 0;
      m.retiredByRing[cpl] += n - start;
      m.retiredNonRoot += nonRoot ? n - start : 0;
      start = n;
      m.pc = pc;
      m.flags = lazyFlags(c.flags, c.lk, c.lx, c.ly, c.lr);
      c.lk = 0;
      const before = m.instructions;
      // cold code: the interpreter runs a quantum (its calls cost more than an instruction);
      // a block it is about to compile, or one that only fits partly under the limit: that block
      const most = length > 0 || (scanned > 0 && jit.heating(page!, pc)) ? Math.min(length > 0 ? length : scanned, limit - n) : Math.min(COLD_QUANTUM, limit - n);
      jit.stats.interpreted++;
      const raised = interpretCaught(m, most, c0 + n * IC, w0, ENDED);
      if (raised !== NOTHING_THROWN) return raised;
      system = ENDED.system;
      n += m.instructions - before;
      start = n;
      pc = m.pc;
      c.flags = m.flags;
      c.lr = zeroWitness(c.flags);
      // the TLB may have changed under the interpreter: find the code page again
      codeVpn = -1;
      if (system) break;
    }
    if (n >= limit || mmu.walkReferences !== walksSeen) {
      if (mmu.walkReferences !== walksSeen) {
        walksSeen = mmu.walkReferences;
        limit = limitAfterWalk(m.checkpoint, c0, n, IC, walksSeen - w0, WC, limit);
      }
      if (n >= limit) break;
    }
  }
  if (system) return NOTHING_THROWN;
  if (translating) mmu.hits += hits;
  m.retiredByRing[cpl] += n - start;
  m.retiredNonRoot += nonRoot ? n - start : 0;
  m.sync();
  m.pc = pc;
  m.flags = lazyFlags(c.flags, c.lk, c.lx, c.ly, c.lr);
  return NOTHING_THROWN;
};
