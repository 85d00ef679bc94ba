/**
 * Shadow page tables, the memory virtualization of every software VMM (trap-and-emulate,
 * binary translation, hardware-assisted with `paging=shadow`), after Adams & Agesen
 * (ASPLOS 2006):
 *
 * - The guest keeps its own two-level tables in guest RAM and believes its cr3 points at
 *   them; the machine MMU really walks *shadow* tables that the VMM builds in its own memory
 *   (machine memory above guest RAM), mapping guest linear addresses straight to machine
 *   frames (guest-physical = machine-physical below `guestMemoryBytes`).
 * - Shadow entries are filled lazily: a machine #PF the guest's tables would not have raised
 *   is a **hidden fault**; the VMM fills the shadow entry, sets the guest's accessed/dirty
 *   bits as the hardware would, and resumes the guest. A fault the guest's tables do raise
 *   is a **true guest fault**, reflected to the guest with the error code its tables imply.
 * - Dirty bits: a page whose guest dirty bit is clear is shadowed read-only, so the first
 *   write takes a hidden fault that sets the guest dirty bit and upgrades the entry.
 * - Coherence: every guest frame that serves as a page directory (of a cached shadow root)
 *   or page table (of a shadow page table) is write-protected in all shadow mappings. A guest
 *   store to one is a **trace**: the monitor emulates the store ({@link ShadowPager.emulateWrite}),
 *   which drops the shadow entries derived from the written guest entry (lazily refilled).
 * - Unshadowing: a traced frame written `unshadowAfter` times in a row without being used for
 *   translation in between has most likely been freed by the guest and reused as data (a
 *   guest kernel zeroing a freed page-table frame: 1024 stores). A frame counts as used when a
 *   hidden-fault fill reads it as the directory or a table, when it becomes the directory of
 *   the active root, and while it is part of the active address space (the active root's
 *   directory, or a table the active shadow directory refers to): a kernel rewriting a live
 *   entry of the current address space over and over (`ptemod`: PTE store + INVLPG, no
 *   access) is not freeing the table, and a guest frees a table only after clearing the
 *   directory entry pointing at it, which is traced and unlinks the shadow table. As VMware's
 *   VMM does, the pager then stops tracing the frame: the shadow table derived from it is
 *   dropped (the shadow directory entries pointing at it, all in cached inactive roots, are
 *   cleared), a cached root shadowing it as a directory is evicted, and its write protection
 *   is lifted (write access restored in the shadow PTEs that map it, where the guest PTE
 *   allows and has already marked the page dirty). If the guest uses the frame as a table
 *   again, the next fill rebuilds the shadow table and protects the frame again.
 * - Shadow page tables are keyed by guest page-table frame and shared by every shadow root
 *   whose guest directory points at that frame (a guest kernel's shared kernel page table);
 *   shadow roots sit in a bounded LRU cache keyed by the guest's cr3. When the VMM's frame
 *   pool runs dry, every shadow structure is dropped and rebuilt on demand.
 *
 * Invariants kept: no shadow entry maps a machine frame at or above `guestMemoryBytes`; the
 * machine TLB only holds translations of shadow entries present in the active root (entries
 * cleared there are invalidated, protection that removes write access flushes).
 * @category Strategies
 */
import { flushTlb, vmmIpi } from './vmm-ipi';
import type { Cpu } from '../../core/cpu/cpu';
import { integer } from '../options';

import { CR0_PG } from '../../core/isa/table';
import { Access, dirIndex, FRAME_MASK, PAGE_SIZE, Pte, tableIndex } from '../../core/mmu/pte';
import { FramePool } from './frame-pool';
import type { ReservedRange } from '../reserved-memory';
import { accessOfErrorCode, guestAccessError, walkGuestTables } from './guest-walk';
import { detailNames } from '../../core/cost/detail-names';

/** The shadow pager's counter names. */
const SHADOW_COUNTER = detailNames((what: string) => `shadowPaging.${what}`);

/** The strategies' option for the number of shadow roots kept (`cacheRoots`). */
export const SHADOW_CACHE_OPTION = integer(1, 64, 8, 'shadow page-table roots kept for reuse');

/** Options of a {@link ShadowPager}. */
export interface ShadowPagingOptions {
  /** shadow roots kept in the cache (the active one included), at least 1; default 8 */
  readonly cacheRoots?: number;
  /**
   * traced writes to a guest page-table frame, with no use of the frame for translation in
   * between, after which the frame is unshadowed (see the class notes); a positive integer,
   * or Infinity to trace forever; default {@link DEFAULT_UNSHADOW_AFTER}
   */
  readonly unshadowAfter?: number;
  /**
   * How the active root reaches the hardware: `cr3` (default), a software monitor owning
   * ring 0 loads the machine's cr3 (a privileged instruction that flushes the TLB) and
   * flushes or invalidates TLB entries itself; `vmcs`, a hardware-assisted VMM writes the
   * guest CR3 field of the VMCS (counted by the VMM) and leaves the TLB to the next VM entry,
   * which flushes it on CPUs without tagged TLBs.
   */
  readonly install?: 'cr3' | 'vmcs';
  /**
   * where the pager's frame pool (all machine memory above guest RAM) ends: a VMM that keeps
   * pages of its own above the pager's gives their start; default the end of machine memory
   */
  readonly poolEnd?: number;
}

/**
 * Default of {@link ShadowPagingOptions.unshadowAfter}: 8. A ski-rental choice: keep paying
 * for traces until they have cost about as much as a wrong guess would. Unshadowing a frame
 * that is still a live page table costs its rebuild: one hidden fault per page the guest then
 * touches through it (a process of this guest kernel touches a handful of pages, code, data,
 * stack, per table), plus a TLB flush when the active root referred to it; a hidden fault and
 * a trace cost about the same (one exit or trap plus ~2000 cycles of VMM work, see the cost
 * profiles). Eight traces thus bound the waste on a reused frame to about the rebuild of a
 * small table, i.e. within about twice the best choice made with hindsight either way, while
 * legitimate bursts of entry updates between uses (a few PTEs written, then touched or
 * invalidated; the kernel writing a new directory's handful of kernel entries) stay below it.
 * Zeroing a reused frame (1024 stores) then costs 8 traces instead of 1024.
 */
export const DEFAULT_UNSHADOW_AFTER = 8;

/** What the VMM must do about a machine page fault. */
export type PageFaultVerdict =
  /** the VMM filled or upgraded a shadow entry: resume the guest at the same pc */
  | { readonly kind: 'hidden' }
  /**
   * a true guest fault: reflect #PF to the guest with `errorCode` (virtual cr2 = `address`).
   * With `outsideGuestMemory` the access reached a guest-physical address beyond guest RAM
   * (natively a #GP(0), since the address is outside physical memory); `errorCode` is then
   * the machine's error code as given, and the caller may raise #GP(0) instead.
   */
  | { readonly kind: 'guest'; readonly errorCode: number; readonly address: number; readonly outsideGuestMemory?: true }
  /**
   * a store to a write-protected guest page-table page: the caller emulates the instruction,
   * performing its store with {@link ShadowPager.emulateWrite}; `pteAddress` is the
   * guest-physical (= machine-physical) address the store hits
   */
  | { readonly kind: 'trace'; readonly pteAddress: number };

/** A shadow page table: the shadow of one guest page table (or one 4 MiB slice of physical mode). */
interface ShadowTable {
  /** guest page-table frame, or -1 - directory index for the physical-mode root's tables */
  readonly key: number;
  /** the guest page-table frame it shadows, null in physical mode */
  readonly guestFrame: number | null;
  /** machine frame holding the shadow entries */
  readonly frame: number;
  /** shadow directory entries pointing at it */
  readonly refs: { readonly root: ShadowRoot; readonly dir: number }[];
}

/** A shadow page directory: the shadow of one guest directory (or of physical mode). */
interface ShadowRoot {
  /** the guest directory frame it shadows, null for the physical-mode root */
  readonly guestDir: number | null;
  /** machine frame of the shadow directory (what machine cr3 holds) */
  readonly frame: number;
  /** shadow tables by directory index */
  readonly tables: (ShadowTable | undefined)[];
}

/** The guest's view of one mapping, as the fill needs it. */
interface GuestMapping {
  readonly pde: number;
  readonly pte: number;
  readonly frame: number;
  /** guest-physical addresses of the entries (null in physical mode) */
  readonly pdeAddress: number | null;
  readonly pteAddress: number | null;
}

const ENTRIES = 1024;


/** What one vCPU runs on: its CPU, its active shadow root and its guest's paging state. */
interface VcpuShadowState {
  readonly machine: Cpu;
  active: ShadowRoot | null;
  guestPaging: boolean;
  guestCr3: number;
}
const PHYSICAL_FLAGS = Pte.present | Pte.writable | Pte.user | Pte.accessed | Pte.dirty;

/** Shadow page tables of one virtual CPU. */
export class ShadowPager {
  /** times every shadow structure was dropped because the frame pool ran out */
  resets = 0;
  private readonly pool: FramePool;
  private readonly cacheRoots: number;
  private readonly unshadowAfter: number;
  private readonly install: 'cr3' | 'vmcs';
  /** frames unshadowed so far */
  private unshadowings = 0;
  /** cached shadow roots by guest directory frame, least recently used first */
  private readonly cache = new Map<number, ShadowRoot>();
  private physical: ShadowRoot | null = null;
  /** the vCPUs that share these shadows (one root active on each), and the one being served */
  private readonly states: VcpuShadowState[];
  private current: VcpuShadowState;
  /** shadow tables by key (guest page-table frame, or negative for physical mode) */
  private readonly tables = new Map<number, ShadowTable>();
  /** write-protected guest frames: how many shadow structures derive from each */
  private readonly tracked = new Map<number, number>();
  /** reverse map: guest frame -> machine addresses of the shadow PTEs that map it */
  private readonly rmap = new Map<number, Set<number>>();
  /** shadow tables by their machine frame (to find the guest entry behind a shadow PTE) */
  private readonly tableAt = new Map<number, ShadowTable>();
  /** tracked guest frames: traced writes since last used for translation (absent: none) */
  private readonly writesSinceUse = new Map<number, number>();
  /** set while a root is being created: the machine cr3 write that follows flushes the TLB anyway */
  private flushDeferred = false;

  /**
   * Shadow paging for the guest on `machine`, counting into its ledger (`shadowPaging.*`). Guest RAM
   * is [0, `guestMemoryBytes`); the VMM's frames are the rest of machine memory, up to `poolEnd`. Throws
   * RangeError for a malformed configuration (guest RAM not page-aligned, fewer than two VMM
   * frames, a cache of fewer than one root).
   */
  constructor(
    machine: Cpu,
    readonly guestMemoryBytes: number,
    options: ShadowPagingOptions = {},
  ) {
    this.current = { machine, active: null, guestPaging: false, guestCr3: 0 };
    this.states = [this.current];
    const size = options.poolEnd ?? machine.memory.size;
    if (!Number.isInteger(guestMemoryBytes) || guestMemoryBytes <= 0 || guestMemoryBytes % PAGE_SIZE !== 0 || guestMemoryBytes > size - 2 * PAGE_SIZE)
      throw new RangeError(
        `guest memory must be a positive multiple of 4096 leaving at least two frames of the ${size} bytes of machine memory to the VMM, got ${guestMemoryBytes}`,
      );
    this.cacheRoots = options.cacheRoots ?? 8;
    if (!Number.isInteger(this.cacheRoots) || this.cacheRoots < 1)
      throw new RangeError(`cacheRoots must be an integer of at least 1, got ${this.cacheRoots}`);
    this.unshadowAfter = options.unshadowAfter ?? DEFAULT_UNSHADOW_AFTER;
    this.install = options.install ?? 'cr3';
    if (!((Number.isInteger(this.unshadowAfter) && this.unshadowAfter >= 1) || this.unshadowAfter === Infinity))
      throw new RangeError(`unshadowAfter must be an integer of at least 1 or Infinity, got ${this.unshadowAfter}`);
    this.pool = new FramePool(machine.memory, guestMemoryBytes, size);
  }

  /** The CPU of the vCPU being served. */
  get machine(): Cpu {
    return this.current.machine;
  }

  private get active(): ShadowRoot | null {
    return this.current.active;
  }

  private set active(root: ShadowRoot | null) {
    this.current.active = root;
  }

  private get guestPaging(): boolean {
    return this.current.guestPaging;
  }

  private set guestPaging(on: boolean) {
    this.current.guestPaging = on;
  }

  private get guestCr3(): number {
    return this.current.guestCr3;
  }

  private set guestCr3(v: number) {
    this.current.guestCr3 = v;
  }

  /**
   * Serve vCPU `m` from now on (a monitor's entry from that vCPU). The vCPUs of one guest
   * share the shadows (its page tables are shared memory), each with its own active root and
   * guest paging state; a vCPU new to the pager has no root until its setGuestPaging.
   */
  use(m: Cpu): void {
    if (this.current.machine === m) return;
    let s = this.states.find((x) => x.machine === m);
    if (s === undefined) {
      s = { machine: m, active: null, guestPaging: false, guestCr3: 0 };
      this.states.push(s);
    }
    this.current = s;
  }

  /** Whether `root` is active on a vCPU other than the one being served. */
  private activeElsewhere(root: ShadowRoot): boolean {
    return this.states.some((s) => s !== this.current && s.active === root);
  }

  /** Machine-physical address of the active shadow directory (what machine cr3 must hold), or null before {@link setGuestPaging}. */
  get shadowRoot(): number | null {
    return this.active?.frame ?? null;
  }

  /** The pager's frame pool as a reserved range: the VMM writes it, the guest is never given it (the MMU walks it). */
  get poolRange(): ReservedRange {
    return { name: 'shadow page tables', start: this.pool.start, bytes: this.pool.end - this.pool.start, guest: 'none', changes: true };
  }

  /** VMM frames currently holding shadow directories and tables. */
  get framesInUse(): number {
    return this.pool.capacity - this.pool.available;
  }

  /**
   * Guest page-table frames unshadowed so far: written `unshadowAfter` times without being
   * used for translation in between, so no longer traced (see the class notes).
   */
  get unshadowed(): number {
    return this.unshadowings;
  }

  /** Number of shadow roots in the cache (the physical-mode root is not cached). */
  get cachedRoots(): number {
    return this.cache.size;
  }

  /**
   * The guest's paging state changed (guest cr0.PG or guest cr3 written): activate the
   * matching shadow root and write machine cr3 (which flushes the machine TLB, as the guest's
   * own cr3 write would), turning machine paging on if it is off. With paging enabled the
   * root comes from the cache (cacheHits) or is created empty (cacheMisses), evicting the
   * least recently used root beyond `cacheRoots`; with paging off the physical-mode root
   * (identity map of guest RAM, outside the cache and its counts) is used. rootSwitches
   * counts calls that change the active root.
   */
  setGuestPaging(enabled: boolean, guestCr3: number): void {
    this.guestPaging = enabled;
    this.guestCr3 = guestCr3;
    // protection added while choosing the root needs no flush of its own: the cr3 write flushes
    this.flushDeferred = true;
    let root: ShadowRoot;
    try {
      root = this.selectRoot(enabled, guestCr3);
    } finally {
      this.flushDeferred = false;
    }
    if (root !== this.active) this.counted('rootSwitches');
    this.activate(root);
    if (root.guestDir !== null) this.used(root.guestDir);
  }

  /** The root for a guest paging state: physical, cached (hit) or new (miss, with LRU eviction). */
  private selectRoot(enabled: boolean, guestCr3: number): ShadowRoot {
    if (!enabled) return this.physical ?? this.newPhysicalRoot();
    const key = (guestCr3 & FRAME_MASK) >>> 0;
    const hit = this.cache.get(key);
    if (hit) {
      this.counted('cacheHits');
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    this.counted('cacheMisses');
    const root = this.newCachedRoot(key);
    while (this.cache.size > this.cacheRoots) {
      // the least recently used root no other vCPU runs on (theirs stay, beyond the cache size)
      const victim = [...this.cache].find(([, r]) => r !== root && !this.activeElsewhere(r));
      if (victim === undefined) break;
      this.cache.delete(victim[0]);
      this.dropRoot(victim[1]);
    }
    return root;
  }

  /**
   * A machine #PF at linear `address` with `errorCode` while the guest ran at virtual CPL
   * `vcpl` (0 or 3; only 3 is a user access). Decides, by walking the guest's own tables,
   * whether the fault is hidden (fixed here, hiddenFaults), a true guest fault (guestFaults)
   * or a store to a write-protected guest page-table page (trace; counted by emulateWrite).
   * An access that reaches guest-physical memory beyond guest RAM (in physical mode, or
   * through a directory, table or allowed guest mapping there) is a 'guest' verdict with
   * `outsideGuestMemory` and the error code as given; as on the modelled hardware, an allowed
   * mapping to such a frame still gets its accessed/dirty bits first. No shadow entry is
   * made. Throws if called before setGuestPaging.
   */
  onPageFault(address: number, errorCode: number, vcpl: number): PageFaultVerdict {
    if (this.active === null) throw new Error('internal error: shadow page fault before the guest paging state was set');
    const va = address >>> 0;
    const access = accessOfErrorCode(errorCode);
    const write = access === Access.write;
    let mapping: GuestMapping;
    if (!this.guestPaging) {
      if (va >= this.guestMemoryBytes) {
        this.counted('guestFaults');
        return { kind: 'guest', errorCode, address, outsideGuestMemory: true };
      }
      mapping = { pde: PHYSICAL_FLAGS, pte: PHYSICAL_FLAGS, frame: (va & FRAME_MASK) >>> 0, pdeAddress: null, pteAddress: null };
    } else {
      const walk = walkGuestTables(this.machine.memory, this.guestMemoryBytes, this.guestCr3, va);
      if (walk.kind === 'outside-guest-memory') {
        this.counted('guestFaults');
        return { kind: 'guest', errorCode, address, outsideGuestMemory: true };
      }
      const error = guestAccessError(walk, access, vcpl === 3);
      if (error !== null || walk.kind !== 'mapped') {
        this.counted('guestFaults');
        return { kind: 'guest', errorCode: error ?? 0, address };
      }
      mapping = walk;
      if (walk.frame >= this.guestMemoryBytes) {
        // the hardware walk sets the accessed/dirty bits before it finds the frame missing
        this.setGuestAccessed(mapping, write);
        this.counted('guestFaults');
        return { kind: 'guest', errorCode, address, outsideGuestMemory: true };
      }
    }
    if (write && this.tracked.has(mapping.frame)) return { kind: 'trace', pteAddress: (mapping.frame | (va & 0xfff)) >>> 0 };
    const dirty = write || (mapping.pte & Pte.dirty) !== 0;
    if (!this.fill(this.active, va, mapping, dirty)) {
      this.startOver();
      if (!this.fill(this.active, va, mapping, dirty)) throw new Error('internal error: shadow fill failed after starting over');
    }
    this.setGuestAccessed(mapping, write);
    if (mapping.pdeAddress !== null) {
      // the fill read the guest directory and page table: both are in use for translation
      this.used((mapping.pdeAddress & FRAME_MASK) >>> 0);
      this.used((mapping.pde & FRAME_MASK) >>> 0);
    }
    this.counted('hiddenFaults');
    return { kind: 'hidden' };
  }

  /** Set the guest's accessed (and on a write dirty) bits of a mapping, as the hardware walk would. */
  private setGuestAccessed(g: GuestMapping, write: boolean): void {
    const mem = this.machine.memory.i32;
    if (g.pdeAddress !== null && (g.pde & Pte.accessed) === 0) mem[g.pdeAddress >>> 2] = g.pde | Pte.accessed;
    if (g.pteAddress !== null) {
      const pte = g.pte | Pte.accessed | (write ? Pte.dirty : 0);
      if (pte !== g.pte) mem[g.pteAddress >>> 2] = pte;
    }
  }

  /**
   * The guest executed INVLPG `va` (trapped): drop the shadow entry of `va` in the active
   * root (its shadow table may be shared, so aliases in the active root are invalidated too)
   * and the machine TLB entry. Shadow entries are kept coherent by write protection anyway;
   * this makes the next access refill from the guest's tables.
   */
  invalidatePage(va: number): void {
    this.invalidate(va);
    const root = this.active;
    if (root === null) return;
    const dir = dirIndex(va);
    const table = root.tables[dir];
    if (table) this.clearEntry(table, tableIndex(va), dir);
  }

  /**
   * Emulate a guest store of `value` (`size` 1 or 4 bytes, little-endian) at linear
   * `address` that hit a write-protected guest page-table page, at virtual CPL `vcpl`
   * (default 0): translate it through the guest's tables (setting their accessed and dirty
   * bits), write guest memory, count a trace fault (unless `traced` is false: a store the
   * VMM performs on a planned path, such as a callout, took no fault), and drop the shadow entries derived from
   * every written guest entry (a PTE of a shadowed page table clears the matching shadow
   * PTE, a PDE of a cached root's directory clears that shadow PDE; each counts one
   * `updates`). A tracked frame written `unshadowAfter` times in a row without a use for
   * translation in between is then unshadowed (see the class notes).
   * Returns false, writing nothing, if the store does not touch a tracked page
   * or the guest's tables do not allow it; the caller then treats it as a normal access.
   * `address` is the store's effective address (from the instruction): for a store that
   * straddles two pages the fault address may be that of the second page.
   */
  emulateWrite(address: number, value: number, size: 1 | 4, vcpl = 0, traced = true): boolean {
    if (this.active === null) return false;
    const user = vcpl === 3;
    const first = address >>> 0;
    const last = (first + size - 1) >>> 0;
    const pages = (first & FRAME_MASK) === (last & FRAME_MASK) ? [first] : [first, last];
    const frames: number[] = [];
    const entries: { pdeAddress: number; pde: number; pteAddress: number; pte: number }[] = [];
    for (const va of pages) {
      if (!this.guestPaging) {
        if (va >= this.guestMemoryBytes) return false;
        frames.push((va & FRAME_MASK) >>> 0);
        continue;
      }
      const walk = walkGuestTables(this.machine.memory, this.guestMemoryBytes, this.guestCr3, va);
      if (walk.kind !== 'mapped' || guestAccessError(walk, Access.write, user) !== null || walk.frame >= this.guestMemoryBytes) return false;
      frames.push(walk.frame);
      entries.push(walk);
    }
    if (!frames.some((f) => this.tracked.has(f))) return false;
    const mem = this.machine.memory;
    for (const e of entries) {
      if ((e.pde & Pte.accessed) === 0) mem.i32[e.pdeAddress >>> 2] = mem.i32[e.pdeAddress >>> 2] | Pte.accessed;
      mem.i32[e.pteAddress >>> 2] = mem.i32[e.pteAddress >>> 2] | Pte.accessed | Pte.dirty;
    }
    const words = new Set<number>();
    const written = new Set<number>();
    for (let i = 0; i < size; i++) {
      const va = (first + i) >>> 0;
      const frame = frames[(va & FRAME_MASK) === (first & FRAME_MASK) ? 0 : 1];
      const pa = (frame | (va & 0xfff)) >>> 0;
      mem.u8[pa] = value >>> (8 * i);
      if (this.tracked.has(frame)) {
        words.add(pa & ~3);
        written.add(frame);
      }
    }
    if (traced) this.counted('traceFaults');
    for (const w of words) this.syncGuestEntry(w);
    for (const frame of written) {
      // syncing may have dropped the structures derived from the frame (a directory entry cleared)
      if (!this.tracked.has(frame)) continue;
      if (this.inActiveSpace(frame)) {
        this.used(frame);
        continue;
      }
      const n = (this.writesSinceUse.get(frame) ?? 0) + 1;
      this.writesSinceUse.set(frame, n);
      if (n >= this.unshadowAfter) this.unshadow(frame);
    }
    return true;
  }

  /**
   * Machine-physical (= guest-physical) address of guest linear `va` per the guest's own
   * tables, or null if unmapped or outside guest RAM; in physical mode `va` itself when
   * inside guest RAM. Sets no accessed bits and checks no permissions: for monitors reading
   * guest memory.
   */
  guestTranslate(va: number): number | null {
    const a = va >>> 0;
    if (!this.guestPaging) return a < this.guestMemoryBytes ? a : null;
    const walk = walkGuestTables(this.machine.memory, this.guestMemoryBytes, this.guestCr3, a);
    return walk.kind === 'mapped' && walk.frame < this.guestMemoryBytes ? (walk.frame | (a & 0xfff)) >>> 0 : null;
  }

  /**
   * The shadow PTE that maps `va` in the active root (for tests and diagnostics): its value,
   * or null when the shadow directory entry or the entry itself is not present.
   */
  shadowEntry(va: number): number | null {
    const table = this.active?.tables[dirIndex(va)];
    if (!table) return null;
    const v = this.machine.memory.i32[(table.frame >>> 2) + tableIndex(va)];
    return (v & Pte.present) !== 0 ? v >>> 0 : null;
  }

  /** Whether guest frame `frame` is write-protected as a guest page directory or page table. */
  isWriteProtected(frame: number): boolean {
    return this.tracked.has((frame & FRAME_MASK) >>> 0);
  }

  // ---- roots ---------------------------------------------------------------------------

  private activate(root: ShadowRoot): void {
    this.active = root;
    const m = this.machine;
    if (this.install === 'vmcs') {
      // the VMM writes the guest CR3 field; the entry that follows flushes the TLB
      m.cr[3] = root.frame;
      m.cr[0] |= CR0_PG;
      m.mmu.root = root.frame;
      m.mmu.paging = true;
      m.mmu.flush();
      return;
    }
    m.writeControlRegister(3, root.frame);
    if (!m.mmu.paging) m.writeControlRegister(0, m.cr[0] | CR0_PG);
  }

  private newPhysicalRoot(): ShadowRoot {
    const root = this.newRoot(null);
    this.physical = root;
    return root;
  }

  private newCachedRoot(guestDir: number): ShadowRoot {
    const root = this.newRoot(guestDir);
    this.cache.set(guestDir, root);
    return root;
  }

  /** An empty shadow root; when the pool is dry everything is dropped first. */
  private newRoot(guestDir: number | null): ShadowRoot {
    let frame = this.pool.allocate();
    if (frame === null) {
      this.dropAll();
      frame = this.pool.allocate();
      if (frame === null) throw new Error('internal error: no VMM frame for a shadow root after dropping everything');
    }
    const root: ShadowRoot = { guestDir, frame, tables: new Array<ShadowTable | undefined>(ENTRIES) };
    if (guestDir !== null) this.track(guestDir);
    return root;
  }

  /**
   * Free a root: its directory frame, its table references, its protection. Only while a
   * new root is being selected can it be the active one (a cache of one root); the cr3
   * write that activates the new root follows at once.
   */
  private dropRoot(root: ShadowRoot): void {
    for (const s of this.states) if (s.active === root) s.active = null;
    for (let dir = 0; dir < ENTRIES; dir++) if (root.tables[dir]) this.unlink(root, dir);
    this.pool.release(root.frame);
    if (root.guestDir !== null) this.untrack(root.guestDir);
  }

  /** Forget every shadow structure (the frame pool ran dry). The machine keeps the old cr3 until the next activate. */
  private dropAll(): void {
    const others = this.states.filter((s) => s !== this.current && s.active !== null).map((s) => [s, s.active!.guestDir] as const);
    this.resets++;
    this.pool.reset();
    this.cache.clear();
    this.tables.clear();
    this.tracked.clear();
    this.rmap.clear();
    this.tableAt.clear();
    this.writesSinceUse.clear();
    this.physical = null;
    for (const s of this.states) s.active = null;
    // the other vCPUs ran on roots that are gone: give each a fresh one (their cr3 write flushes their TLB)
    const served = this.current;
    for (const [s, guestDir] of others) {
      this.current = s;
      this.activate(guestDir === null ? (this.physical ?? this.newPhysicalRoot()) : (this.cache.get(guestDir) ?? this.newCachedRoot(guestDir)));
    }
    this.current = served;
  }

  /** Drop everything and re-create the active root empty (the frame pool ran dry during a fill). */
  private startOver(): void {
    const was = this.active;
    this.dropAll();
    if (was === null) return;
    this.activate(was.guestDir === null ? this.newPhysicalRoot() : this.newCachedRoot(was.guestDir));
  }

  // ---- tables and entries --------------------------------------------------------------

  /** Fill the shadow PDE (creating or sharing a shadow table) and PTE for `va`; false if the pool ran dry. */
  private fill(root: ShadowRoot, va: number, g: GuestMapping, dirty: boolean): boolean {
    const dir = dirIndex(va);
    let table = root.tables[dir];
    if (!table) {
      const guestFrame = root.guestDir === null ? null : (g.pde & FRAME_MASK) >>> 0;
      const key = guestFrame ?? -1 - dir;
      table = this.tables.get(key) ?? this.newTable(key, guestFrame) ?? undefined;
      if (!table) return false;
      root.tables[dir] = table;
      table.refs.push({ root, dir });
      this.machine.memory.i32[(root.frame >>> 2) + dir] =
        table.frame | Pte.present | Pte.accessed | (g.pde & (Pte.writable | Pte.user));
    }
    this.setEntry(table, tableIndex(va), g.frame, g.pte, dirty);
    return true;
  }

  private newTable(key: number, guestFrame: number | null): ShadowTable | null {
    const frame = this.pool.allocate();
    if (frame === null) return null;
    const table: ShadowTable = { key, guestFrame, frame, refs: [] };
    this.tables.set(key, table);
    this.tableAt.set(frame, table);
    if (guestFrame !== null) this.track(guestFrame);
    return table;
  }

  /** Write one shadow PTE mapping guest frame `frame` with the guest PTE's user bit and, if allowed, write access. */
  private setEntry(table: ShadowTable, index: number, frame: number, guestPte: number, dirty: boolean): void {
    if (frame >= this.guestMemoryBytes)
      throw new Error(`internal error: a shadow entry would map VMM frame 0x${frame.toString(16)}`);
    const mem = this.machine.memory.i32;
    const addr = table.frame + index * 4;
    const old = mem[addr >>> 2];
    if ((old & Pte.present) !== 0) this.rmapRemove((old & FRAME_MASK) >>> 0, addr);
    const writable = (guestPte & Pte.writable) !== 0 && dirty && !this.tracked.has(frame);
    mem[addr >>> 2] = frame | Pte.present | Pte.accessed | (guestPte & Pte.user) | (writable ? Pte.writable | Pte.dirty : 0);
    let set = this.rmap.get(frame);
    if (!set) this.rmap.set(frame, (set = new Set()));
    set.add(addr);
  }

  /**
   * Clear one shadow PTE; the machine TLB entries of the pages it mapped through the active
   * root are invalidated (except through directory index `skipDir`, already done).
   */
  private clearEntry(table: ShadowTable, index: number, skipDir = -1): void {
    const mem = this.machine.memory.i32;
    const addr = table.frame + index * 4;
    const old = mem[addr >>> 2];
    if ((old & Pte.present) === 0) return;
    this.rmapRemove((old & FRAME_MASK) >>> 0, addr);
    mem[addr >>> 2] = 0;
    for (const r of table.refs) if (r.root === this.active && r.dir !== skipDir) this.invalidate(((r.dir << 22) | (index << 12)) >>> 0);
  }

  /** Clear a shadow PDE; frees the shadow table when no directory refers to it any more. */
  private unlink(root: ShadowRoot, dir: number): void {
    const table = root.tables[dir];
    if (!table) return;
    root.tables[dir] = undefined;
    this.machine.memory.i32[(root.frame >>> 2) + dir] = 0;
    const i = table.refs.findIndex((r) => r.root === root && r.dir === dir);
    if (i >= 0) table.refs.splice(i, 1);
    if (table.refs.length > 0) return;
    const mem = this.machine.memory.i32;
    for (let k = 0; k < ENTRIES; k++) {
      const addr = table.frame + k * 4;
      const v = mem[addr >>> 2];
      if ((v & Pte.present) !== 0) this.rmapRemove((v & FRAME_MASK) >>> 0, addr);
    }
    this.tables.delete(table.key);
    this.tableAt.delete(table.frame);
    this.pool.release(table.frame);
    if (table.guestFrame !== null) this.untrack(table.guestFrame);
  }

  /** A guest entry at guest-physical `address` (aligned) was written: drop the shadow entries derived from it. */
  private syncGuestEntry(address: number): void {
    const frame = (address & FRAME_MASK) >>> 0;
    const index = (address & 0xfff) >>> 2;
    const table = this.tables.get(frame);
    if (table) {
      this.clearEntry(table, index);
      this.counted('updates');
    }
    const root = this.cache.get(frame);
    if (root) {
      if (root.tables[index]) {
        this.unlink(root, index);
        if (root === this.active) this.flush();
      }
      this.counted('updates');
    }
  }

  // ---- write protection -----------------------------------------------------------------

  /** One more shadow structure derives from guest frame `frame`: write-protect it on the first. */
  private track(frame: number): void {
    const n = this.tracked.get(frame) ?? 0;
    this.tracked.set(frame, n + 1);
    if (n > 0) return;
    const mem = this.machine.memory.i32;
    let removed = false;
    for (const addr of this.rmap.get(frame) ?? []) {
      const v = mem[addr >>> 2];
      if ((v & Pte.writable) !== 0) {
        mem[addr >>> 2] = v & ~Pte.writable;
        removed = true;
      }
    }
    if (removed) this.flush();
  }

  /** One shadow structure less derives from `frame`; unprotected lazily (a later write takes a hidden fault). */
  private untrack(frame: number): void {
    const n = this.tracked.get(frame) ?? 0;
    if (n <= 1) {
      this.tracked.delete(frame);
      this.writesSinceUse.delete(frame);
    } else this.tracked.set(frame, n - 1);
  }

  /** Guest frame `frame` was used for translation (read by a fill, or part of the active address space). */
  private used(frame: number): void {
    this.writesSinceUse.delete(frame);
  }

  /** Whether guest frame `frame` is the active root's directory or a table its shadow directory refers to. */
  private inActiveSpace(frame: number): boolean {
    return this.states.some((s) => {
      const active = s.active;
      if (active === null) return false;
      return active.guestDir === frame || (this.tables.get(frame)?.refs.some((r) => r.root === active) ?? false);
    });
  }

  /**
   * Stop tracing guest frame `frame` (written too often without use, most likely no longer a
   * page table; never part of the active address space): drop its shadow table (clearing the
   * shadow directory entries, all in inactive roots, that point at it: no TLB entry derives
   * from them) and evict a cached root shadowing it as a directory, then give write access
   * back to the shadow PTEs mapping it where the guest PTE allows writing and is dirty (the
   * others keep upgrading through hidden faults). A later use as a table re-protects it.
   */
  private unshadow(frame: number): void {
    if (this.inActiveSpace(frame)) throw new Error(`internal error: unshadowing guest frame 0x${frame.toString(16)} of the active address space`);
    const table = this.tables.get(frame);
    if (table) for (const r of [...table.refs]) this.unlink(r.root, r.dir);
    const root = this.cache.get(frame);
    if (root) {
      this.cache.delete(frame);
      this.dropRoot(root);
    }
    if (this.tracked.has(frame)) throw new Error(`internal error: guest frame 0x${frame.toString(16)} still tracked after unshadowing`);
    this.unshadowings++;
    this.counted('unshadowed');
    // Granting write access needs no TLB invalidation: a cached read-only entry only makes
    // the machine walk again (and at worst a spurious fault would be a hidden one).
    const mem = this.machine.memory.i32;
    for (const addr of this.rmap.get(frame) ?? []) {
      const v = mem[addr >>> 2];
      if ((v & Pte.writable) !== 0) continue;
      const owner = this.tableAt.get((addr & FRAME_MASK) >>> 0);
      if (!owner) throw new Error(`internal error: shadow PTE at 0x${addr.toString(16)} outside any shadow table`);
      let writable: boolean;
      if (owner.guestFrame === null) writable = true; // physical mode: everything writable and dirty
      else {
        // the guest entry behind it is current: its page table is tracked, so any change was traced
        const g = mem[(owner.guestFrame + (addr & 0xfff)) >>> 2];
        writable = (g & Pte.present) !== 0 && (g & FRAME_MASK) >>> 0 === frame && (g & Pte.writable) !== 0 && (g & Pte.dirty) !== 0;
      }
      if (writable) mem[addr >>> 2] = v | Pte.writable | Pte.dirty;
    }
  }

  private rmapRemove(frame: number, addr: number): void {
    const set = this.rmap.get(frame);
    if (!set) return;
    set.delete(addr);
    if (set.size === 0) this.rmap.delete(frame);
  }

  // ---- machine TLB -----------------------------------------------------------------------

  /** Invalidate one machine TLB entry (the VMM executes an invlpg: counted as one). */
  private invalidate(va: number): void {
    this.machine.mmu.invalidate(va);
    if (this.install === 'cr3') this.machine.events.emit({ kind: 'invlpg', t: this.machine.time, address: va });
    this.flushOthers(va);
  }

  /** Count one shadow-paging event in the machine's ledger. */
  private counted(what: 'hiddenFaults' | 'guestFaults' | 'traceFaults' | 'updates' | 'rootSwitches' | 'cacheHits' | 'cacheMisses' | 'unshadowed'): void {
    this.machine.ledger.count(SHADOW_COUNTER(what));
  }

  /** Flush the machine TLB (counted as a TLB flush). */
  private flush(): void {
    if (this.flushDeferred) return;
    this.machine.mmu.flush();
    if (this.install === 'cr3') this.machine.events.emit({ kind: 'tlb-flush', t: this.machine.time, cause: 'explicit' });
    this.flushOthers(null);
  }

  /** The shadows are shared: drop page `va` (null: all) on every other vCPU running on a root, by the VMM's IPI. */
  private flushOthers(va: number | null): void {
    for (const s of this.states) {
      if (s === this.current || s.active === null) continue;
      vmmIpi(this.machine, s.machine);
      flushTlb(s.machine, va);
    }
  }
}
