/**
 * The translation cache: a bounded area of VMM memory (vCPU 0's mapped at {@link TC_VA}) holding
 * translated units, the map from guest pcs to them, and the bookkeeping that makes
 * translated code safe to run:
 *
 * - **lookups** (guest pc to unit) count hits and misses;
 * - units are placed one after the other; when the next one does not fit, the whole cache
 *   is **flushed** (VMware's first translation caches did the same);
 * - **chaining**: an exit slot of one unit is patched into a direct `jmp` to the translated
 *   target; the target remembers who jumps into it, so it can be unchained;
 * - **invalidation**: when a guest page holding translated code is written, every unit read
 *   from that frame is dropped from the map and the jumps into it are restored to exits;
 * - a **reverse map** from every translated word to the guest pc (and spilled register) at
 *   which the guest resumes if execution stops there, for precise exceptions and interrupts.
 * @category Binary translation
 */
import { encode, makeInstruction } from '../../core/isa/codec';
import type { PhysicalMemory } from '../../core/mmu/memory';
import type { TranslationCounter } from './counters';
import { TC_VA } from './layout';
import type { Site, TranslatedUnit } from './translator';

/** Where the cache counts its events (the VMM's ledger). */
export type TranslationCounting = (what: TranslationCounter, n?: number) => void;

/** A jump patched into translated code, and the words it replaced. */
interface Patch {
  readonly at: number;
  readonly restore: readonly [number, number];
}

/** A unit placed in the cache. */
export interface Unit {
  readonly guestPc: number;
  /** linear address of its first translated word */
  readonly address: number;
  readonly bytes: number;
  readonly guestInstructions: number;
  /** guest frames its code was read from */
  readonly frames: readonly number[];
  /** jumps patched into other translated code that lead here */
  readonly incoming: Patch[];
  /** false once invalidated or flushed */
  live: boolean;
}

/** A site together with the unit it belongs to. */
export type PlacedSite = Site & { readonly unit: Unit };

/** Encoded `jmp` at linear `at` to linear `target`. */
const jumpWords = (at: number, target: number): [number, number] => encode(makeInstruction('jmp', { imm: (target - (at + 8)) | 0 })) as [number, number];

/** The bounded translation cache. */
export class TranslationCache {
  /** times the cache was flushed (units placed before are gone) */
  generation = 0;
  private top = 0;
  private readonly units = new Map<number, Unit>();
  private readonly byFrame = new Map<number, Set<Unit>>();
  private readonly sites = new Map<number, PlacedSite>();
  private readonly resumePc: Int32Array;
  private readonly spilled: Uint8Array;

  /**
   * A cache of `capacity` bytes at machine address `physical` (mapped at linear `linear`,
   * default {@link TC_VA}), counting through `counted`.
   */
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly physical: number,
    readonly capacity: number,
    private readonly counted: TranslationCounting,
    readonly linear: number = TC_VA,
  ) {
    this.resumePc = new Int32Array(capacity >>> 2);
    this.spilled = new Uint8Array(capacity >>> 2);
  }

  /** Bytes of translated code in the cache now. */
  get used(): number {
    return this.top;
  }

  /** Whether linear address `va` lies in the used part of the cache. */
  contains(va: number): boolean {
    const off = (va - this.linear) >>> 0;
    return off < this.top;
  }

  /** Guest pc at which the guest resumes if execution stops before the word at `va`. */
  guestPcAt(va: number): number {
    return this.resumePc[((va - this.linear) >>> 0) >>> 2];
  }

  /** Guest register held in the spill slot before the word at `va` (0: none). */
  spillAt(va: number): number {
    return this.spilled[((va - this.linear) >>> 0) >>> 2];
  }

  /** The site at linear address `va`, if one. */
  siteAt(va: number): PlacedSite | undefined {
    return this.sites.get(va | 0);
  }

  /** The live unit for guest pc `pc`, without counting a lookup. */
  find(pc: number): Unit | undefined {
    return this.units.get(pc | 0);
  }

  /** A lookup, as translated code or the monitor does it: counted, hit or miss. */
  lookup(pc: number): Unit | undefined {
    this.counted('cacheLookups');
    const u = this.units.get(pc | 0);
    this.counted(u ? 'cacheHits' : 'cacheMisses');
    return u;
  }

  /** Place a translated unit; null when it does not fit (the caller flushes and retries). */
  place(t: TranslatedUnit): Unit | null {
    const bytes = t.words.length * 4;
    if (this.top + bytes > this.capacity) return null;
    const start = this.top;
    const address = (this.linear + start) | 0;
    const i32 = this.memory.i32;
    const base = (this.physical + start) >>> 2;
    for (let k = 0; k < t.words.length; k++) {
      i32[base + k] = t.words[k];
      this.resumePc[(start >>> 2) + k] = t.info[k].guestPc;
      this.spilled[(start >>> 2) + k] = t.info[k].spill;
    }
    this.top += bytes;
    const unit: Unit = { guestPc: t.guestPc, address, bytes, guestInstructions: t.guestInstructions, frames: t.frames, incoming: [], live: true };
    for (const s of t.sites) this.sites.set((address + s.offset) | 0, { ...s.site, unit });
    const old = this.units.get(unit.guestPc);
    if (old) this.retire(old);
    this.units.set(unit.guestPc, unit);
    for (const f of t.frames) {
      let set = this.byFrame.get(f);
      if (!set) this.byFrame.set(f, (set = new Set()));
      set.add(unit);
    }
    this.counted('units');
    this.counted('guestInstructions', t.guestInstructions);
    this.counted('guestBytes', t.guestBytes);
    this.counted('translatedBytes', bytes);
    return unit;
  }

  /** Drop every unit (the cache was full). */
  flush(): void {
    for (const u of this.units.values()) u.live = false;
    this.units.clear();
    this.byFrame.clear();
    this.sites.clear();
    this.top = 0;
    this.generation++;
    this.counted('flushes');
  }

  /** Patch the exit slot at `slot` into a direct jump to `target` (chaining). */
  chain(slot: number, target: Unit): void {
    this.patchJump(slot, target);
    this.counted('chainedExits');
  }

  /**
   * Overwrite the 8 bytes at linear `at` with a `jmp` to `target`, remembering what they
   * held so that invalidating `target` restores them.
   */
  patchJump(at: number, target: Unit): void {
    const k = (this.physical + ((at - this.linear) >>> 0)) >>> 2;
    const i32 = this.memory.i32;
    target.incoming.push({ at, restore: [i32[k], i32[k + 1]] });
    const [w0, w1] = jumpWords(at, target.address);
    i32[k] = w0;
    i32[k + 1] = w1;
  }

  /** Frames holding translated code (for write protection). */
  frames(): IterableIterator<number> {
    return this.byFrame.keys();
  }

  /** Whether guest frame `frame` holds code of a live unit. */
  holdsCode(frame: number): boolean {
    return this.byFrame.has(frame);
  }

  /**
   * The guest wrote frame `frame`: drop every unit translated from it and unchain the jumps
   * into them. Returns the units dropped (each counts one invalidation, through `counted`:
   * by default the cache's own, or the ledger of the vCPU whose VMM does the work).
   */
  invalidateFrame(frame: number, counted: TranslationCounting = this.counted): Unit[] {
    const set = this.byFrame.get(frame);
    if (!set) return [];
    const dropped = [...set];
    for (const u of dropped) this.retire(u);
    counted('invalidations', dropped.length);
    return dropped;
  }

  /**
   * Take a unit out of the map and the frame index, and restore the jumps into it (its code
   * stays in place until the next flush, so a unit running now can finish).
   */
  retire(u: Unit): void {
    u.live = false;
    if (this.units.get(u.guestPc) === u) this.units.delete(u.guestPc);
    for (const f of u.frames) {
      const set = this.byFrame.get(f);
      set?.delete(u);
      if (set && set.size === 0) this.byFrame.delete(f);
    }
    const i32 = this.memory.i32;
    for (const p of u.incoming) {
      const k = (this.physical + ((p.at - this.linear) >>> 0)) >>> 2;
      i32[k] = p.restore[0];
      i32[k + 1] = p.restore[1];
    }
    u.incoming.length = 0;
  }
}
