/**
 * The monitor of the binary-translation VMM. It owns ring 0; the guest kernel (virtual ring
 * 0), and whatever a guest runs in rings 1 and 2, only ever runs as translated code from the
 * translation cache at real ring 1 (translated for the ring it runs in), guest user code
 * (virtual ring 3) runs unmodified at ring 3 by direct execution. Everything that
 * enters the monitor comes through the machine's trap hook, one handler per kind:
 *
 * - software interrupts at ring 1 are the translated code's own entries: callouts
 *   (`int 0xf0`), translation-cache lookups for indirect control flow (`int 0xf1`) and
 *   unchained continuations (`int 0xf2`, which translate the target and chain the exit);
 * - exceptions: page faults go to the shadow pager (hidden fills, true guest faults, traces
 *   of page-table writes, which adaptive BT turns into callouts), writes to frames holding
 *   translated code invalidate their translations, loads from the doorbell page deliver a
 *   virtual interrupt that a lower task priority unmasked; everything else is reflected to
 *   the guest at the *guest* pc of the faulting instruction (the cache's reverse map);
 * - external interrupts become pending virtual interrupts, delivered when the guest's
 *   virtual IF and TPR allow.
 *
 * After every entry the monitor settles the machine: if it leaves the guest at ring 1 on a
 * guest pc (a delivery into the guest kernel, an IRET to it, a lookup), that pc is looked
 * up in the cache (and translated on a miss), the VMM's linear range is mapped into the
 * active shadow root, and the doorbell page reflects the pending interrupts.
 * @category Binary translation
 */
import type { Trap, VcpuHandler } from '../../core/cpu/exit';
import { GuestFault } from '../../core/isa/fault';
import { Gate, GATE_SIZE } from '../../core/cpu/idt';
import type { Cpu } from '../../core/cpu/cpu';

import { nextPending } from '../../core/devices/priority';
import { decode, type Instruction } from '../../core/isa/codec';
import { CR0_PG, Flag, Vector } from '../../core/isa/table';
import { Access, FRAME_MASK, PfError, Pte } from '../../core/mmu/pte';
import { accessOfErrorCode, guestAccessError, guestFault, PAST_MEMORY, walkFault, walkGuestTables } from '../shared/guest-walk';
import { DeviceModel, type DeviceModelPlace } from '../shared/device-model';
import { EVERY_TRAP, SoftwareMonitor } from '../shared/monitor';
import type { ShadowPager } from '../shared/shadow-paging';
import type { GuestMemory } from '../shared/guest-memory';
import { AdaptiveRetranslation } from './adaptive';
import { CALLOUT_HANDLERS, type CalloutResult, type CalloutSite } from './callouts';
import { CodeProtection } from './code-protection';
import { DATA_VA, mapVcpuArea, MAX_CACHE_BYTES, Vec, VMM_DIR, VMM_VA, vmmLinear, type VmmLinear, type VmmPhysical } from './layout';
import { TranslationCache, type PlacedSite, type Unit } from './translation-cache';
import { translateUnit, type CodeSource } from './translator';
import { MemoryVirtualCpu } from './vmm-state';
import { translationCounter, type TranslationCounter } from './counters';
import { exceptionDetail, intDetail } from '../../core/cost/detail-names';

/** Settings of the monitor (the strategy's options). */
export interface BtSettings {
  /** most guest instructions per translation unit */
  readonly unit: number;
  /** translation cache size in bytes */
  readonly cacheBytes: number;
  /** patch continuations into direct jumps once their target is translated */
  readonly chaining: boolean;
  /** retranslate stores that keep taking trace faults into callouts */
  readonly adaptive: boolean;
  /** where the device models run */
  readonly deviceModel: DeviceModelPlace;
}

/** What the vCPUs of one guest share in the binary-translation VMM. */
export interface BtGuest {
  /** the write protection of guest frames holding translated code (of any vCPU's cache) */
  readonly protection: CodeProtection;
  /** every vCPU's monitor (an invalidation reaches all their caches) */
  readonly monitors: BtMonitor[];
}

/** Where one vCPU's monitor lives: its linear area, and what it shares with the guest's other vCPUs. */
export interface BtVcpu {
  readonly linear: VmmLinear;
  readonly guest: BtGuest;
}

/** How a page fault is resolved. */
type FaultResolution =
  /** fixed by the VMM (hidden fault, invalidated code): retry the access */
  | { readonly kind: 'retry' }
  /** the guest's own fault: reflect it */
  | { readonly kind: 'guest'; readonly vector: number; readonly errorCode: number; readonly address: number }
  /** a store to a write-protected guest page table: emulate it */
  | { readonly kind: 'trace' }
  /** the doorbell page: a virtual interrupt may have become deliverable */
  | { readonly kind: 'doorbell' };

const PTE_FLAGS = Pte.present | Pte.accessed;
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const isVmmAddress = (va: number): boolean => va >>> 22 === VMM_DIR;

/** The binary-translation monitor. */
export class BtMonitor implements VcpuHandler {
  readonly v: MemoryVirtualCpu;
  /** the shared monitor, used for delivery into the guest and as the emulations' context (never installed) */
  readonly shared: SoftwareMonitor;
  readonly mem: GuestMemory;
  readonly cache: TranslationCache;
  readonly protection: CodeProtection;
  readonly adaptive: AdaptiveRetranslation;
  private doorbellMapped = true;
  private readonly fetch: CodeSource;
  /** the vCPU's data page, doorbell page and cache in the VMM's linear range */
  readonly linear: VmmLinear;
  /** what the guest's vCPUs share */
  readonly guest: BtGuest;
  /** counts the translation events of this vCPU's VMM */
  private readonly counted: (what: TranslationCounter, n?: number) => void;
  /** the guest ring (0-2) the cache's translations were made for */
  private translatedRing = 0;

  /**
   * The monitor of vCPU `m`, its area at `physical` (machine) and `vcpu.linear`; without
   * `vcpu`, a uniprocessor guest's (vCPU 0's area, a protection of its own).
   */
  constructor(
    readonly m: Cpu,
    readonly pager: ShadowPager,
    readonly guestMemoryBytes: number,
    readonly physical: VmmPhysical,
    readonly settings: BtSettings,
    vcpu?: BtVcpu,
  ) {
    if (settings.cacheBytes > MAX_CACHE_BYTES || settings.cacheBytes % 4 !== 0)
      throw new RangeError(`translation cache of ${settings.cacheBytes} bytes: expected a multiple of 4 up to ${MAX_CACHE_BYTES}`);
    this.linear = vcpu?.linear ?? vmmLinear();
    this.guest = vcpu?.guest ?? { protection: new CodeProtection([m], guestMemoryBytes), monitors: [] };
    this.guest.monitors.push(this);
    this.v = new MemoryVirtualCpu(m.memory, physical.data);
    this.shared = new SoftwareMonitor(m, this.v, pager, { stopOnDivergence: true, devices: new DeviceModel(settings.deviceModel, m) });
    this.mem = this.shared.mem;
    this.counted = (what, n) => m.ledger.count(translationCounter(what), n);
    this.cache = new TranslationCache(m.memory, physical.cache, settings.cacheBytes, this.counted, this.linear.cache);
    this.protection = this.guest.protection;
    // the monitor's own writes into guest memory (emulated pushes, exception frames) can
    // overwrite translated code too: those translations go, as for a trapped guest store
    this.mem.onWrite = (pa) => {
      const frame = (pa & FRAME_MASK) >>> 0;
      if (this.protection.isProtected(frame)) this.invalidateCode(frame);
    };
    this.adaptive = new AdaptiveRetranslation(settings.adaptive);
    this.fetch = (va) => {
      const pa = pager.guestTranslate(va);
      return pa === null ? null : { word: m.memory.i32[pa >>> 2], frame: (pa & FRAME_MASK) >>> 0 };
    };
    mapVcpuArea(m.memory.i32, physical, this.linear, settings.cacheBytes);
  }

  // ---- the VMM's linear range -------------------------------------------------------------

  /**
   * A start-up IPI reached this vCPU (the guest's ICR write was a callout on another vCPU):
   * it starts at guest pc `pc` in virtual ring 0 with paging off and a virtual CPU at reset.
   */
  onStartup(pc: number): void {
    const m = this.m;
    this.v.reset();
    this.pager.use(m);
    this.pager.setGuestPaging(false, 0);
    m.monitor = EVERY_TRAP;
    // the monitor's own (never used) table: what SIDT shows guest user code
    m.idtBase = DATA_VA;
    m.flags = Flag.IF;
    m.cpl = 1;
    m.pc = pc;
    this.settle();
  }

  /** Insert the VMM's directory entry into the active shadow root (a new or reused root lacks it). */
  private mapVmm(): void {
    const root = (this.m.cr[3] & FRAME_MASK) >>> 0;
    const mem = this.m.memory.i32;
    const pde = this.physical.pageTable | PTE_FLAGS | Pte.writable;
    // a root without it is new or was just rebuilt: machine cr3 was written, the TLB holds nothing of it
    if (mem[(root >>> 2) + VMM_DIR] !== pde) mem[(root >>> 2) + VMM_DIR] = pde;
    this.protection.onActiveRoot(this.m, root);
  }

  /** Whether the active shadow root lacks the VMM's directory entry (another vCPU's VMM gave this one a fresh root). */
  private vmmUnmapped(): boolean {
    const root = (this.m.cr[3] & FRAME_MASK) >>> 0;
    return this.m.memory.i32[(root >>> 2) + VMM_DIR] !== (this.physical.pageTable | PTE_FLAGS | Pte.writable);
  }

  /** The doorbell page is mapped unless a virtual interrupt waits for the guest's TPR to drop. */
  private syncDoorbell(): void {
    const want = !(this.v.pending.length > 0 && this.v.interruptsEnabled);
    if (want === this.doorbellMapped) return;
    this.doorbellMapped = want;
    this.m.memory.i32[(this.physical.pageTable >>> 2) + (((this.linear.doorbell - VMM_VA) >>> 0) >>> 12)] = want ? this.physical.doorbell | PTE_FLAGS : 0;
    this.m.mmu.invalidate(this.linear.doorbell);
    this.m.events.emit({ kind: 'invlpg', t: this.m.time, address: this.linear.doorbell });
  }

  // ---- the trap hook ----------------------------------------------------------------------

  /** Every trap of the machine comes here first; the monitor handles all of them. */
  onTrap(trap: Trap): void {
    this.pager.use(this.m);
    (TRAP_HANDLERS[trap.kind] as (bt: BtMonitor, t: Trap) => void)(this, trap);
    this.settle();
  }

  /**
   * Leave the machine consistent before the guest runs on: at ring 1 the pc is in the
   * translation cache (a guest pc left there is looked up, and translated on a miss), the
   * VMM range is mapped in the active shadow root, and the doorbell is up to date.
   */
  settle(): void {
    const m = this.m;
    if (m.cpl !== 3 && this.v.ring !== this.translatedRing && !this.enterTranslatedRing()) return;
    for (let k = 0; m.stopReason === null && m.cpl !== 3 && !this.cache.contains(m.pc); k++) {
      if (k >= 8) {
        m.stop({ kind: 'stopped', detail: `the guest kernel cannot fetch code at ${hex(m.pc)} (faults delivered repeatedly)` });
        return;
      }
      const u = this.resolve(m.pc);
      if (u !== null) m.pc = u.address;
    }
    if (m.stopReason !== null) return;
    this.mapVmm();
    this.syncDoorbell();
  }

  /**
   * The guest entered another of the rings that share real ring 1 (only a guest that uses
   * rings 1 or 2 does): translations are made for one ring (privileged instructions fault
   * outside ring 0), so the cache is flushed, and the guest's code is translated again.
   */
  private enterTranslatedRing(): boolean {
    // every change of the virtual ring leaves a guest pc to resume at, never a cache address
    if (this.cache.contains(this.m.pc)) {
      this.m.stop({ kind: 'stopped', detail: `internal error: the guest entered ring ${this.v.ring} at cache address ${hex(this.m.pc)}` });
      return false;
    }
    this.cache.flush();
    this.translatedRing = this.v.ring;
    return true;
  }

  /** The unit for guest pc `pc` (a counted lookup, translating on a miss), or null after delivering the fetch fault. */
  resolve(pc: number): Unit | null {
    if ((pc & 3) !== 0) {
      this.reflect({ vector: Vector.generalProtection, errorCode: 0, returnPc: pc });
      return null;
    }
    return this.cache.lookup(pc) ?? this.translate(pc);
  }

  /** Translate and place the unit at guest pc `pc` (flushing the cache when full), or deliver the fetch fault. */
  translate(pc: number): Unit | null {
    const t = translateUnit(this.fetch, pc, {
      maxInstructions: this.settings.unit,
      calloutStores: this.adaptive.calloutStores,
      dataVa: this.linear.data,
      ring: this.translatedRing,
      variant: this.m.variant,
    });
    if (!t.ok) {
      this.fetchFault(t.unmapped, pc);
      return null;
    }
    let unit = this.cache.place(t.unit);
    if (unit === null) {
      this.cache.flush();
      unit = this.cache.place(t.unit);
      if (unit === null) throw new Error(`internal error: a unit of ${t.unit.words.length * 4} bytes does not fit an empty cache of ${this.cache.capacity}`);
    }
    for (const f of unit.frames) this.protection.protect(this.m, f);
    return unit;
  }

  /** The guest kernel's fetch at `address` (for the instruction at `pc`) failed: the fault native hardware raises. */
  private fetchFault(address: number, pc: number): void {
    const f = guestFault(this.m.memory, this.guestMemoryBytes, this.v.cr, address, Access.fetch, false);
    if (f.vector === Vector.pageFault) this.v.cr[2] = address;
    this.reflect({ ...f, returnPc: pc });
  }

  // ---- delivery ------------------------------------------------------------------------------

  /** Deliver an event to the guest (counted by the shared monitor). */
  reflect(r: { vector: number; errorCode?: number; returnPc: number }): void {
    this.shared.reflect(r);
  }

  /**
   * The guest state at a point where execution stopped: at ring 1, the cache address `pc`
   * maps to the guest pc to resume at, and a register borrowed there is restored from the
   * spill slot; at ring 3, `pc` is the guest's own.
   */
  leave(pc: number): number {
    if (this.m.cpl === 3) return pc;
    const r = this.cache.spillAt(pc);
    if (r !== 0) this.m.regs[r] = this.v.spill;
    return this.cache.guestPcAt(pc);
  }

  /** Deliver the highest-priority deliverable pending virtual interrupt, the guest resuming at `guestPc`. */
  deliverPending(guestPc: number): void {
    const v = this.v;
    const vector = v.pending.splice(nextPending(v.pending, v.cr[8]), 1)[0];
    this.reflect({ vector, returnPc: guestPc });
  }

  /** Deliver a pending interrupt if the guest can take one now, execution having stopped at `pc`. */
  deliverIfPossible(pc: number): void {
    if (this.m.stopReason === null && this.shared.hasDeliverable()) this.deliverPending(this.cache.contains(pc) && this.m.cpl !== 3 ? this.leave(pc) : pc);
  }

  // ---- sites in the cache ----------------------------------------------------------------------

  /** Translated code executed `int vector` at cache address `pc`. */
  onSite(vector: number, pc: number, nextPc: number): void {
    const site = this.cache.siteAt(pc);
    if (!site || VECTOR_OF[site.kind] !== vector) {
      this.m.stop({ kind: 'stopped', detail: `internal error: int ${hex(vector)} at ${hex(pc)} is no site of the translation cache` });
      return;
    }
    (SITE_HANDLERS[site.kind] as (bt: BtMonitor, s: PlacedSite, pc: number, nextPc: number) => void)(this, site, pc, nextPc);
  }

  /** A callout: emulate, then continue after the site (or where the emulation went). */
  callout(site: CalloutSite, pc: number, nextPc: number): void {
    this.m.ledger.tally('callouts', site.callout);
    const m = this.m;
    const r: CalloutResult = CALLOUT_HANDLERS[site.callout](this, site);
    switch (r.kind) {
      case 'next':
        m.pc = nextPc;
        if (m.stopReason === null) this.deliverIfPossible(nextPc);
        return;
      case 'jumped':
        // the emulation set a guest pc (IRET) or already delivered something
        if (!this.cache.contains(m.pc) || m.cpl === 3) this.deliverIfPossible(m.pc);
        return;
      case 'fault':
        m.pc = pc;
        if (r.vector === Vector.pageFault && r.address !== undefined) this.v.cr[2] = r.address;
        this.reflect({ vector: r.vector, errorCode: r.errorCode, returnPc: this.leave(pc) });
        return;
    }
  }

  /** An unchained continuation: find or translate the target, chain the slot, go there. */
  exit(site: Extract<PlacedSite, { kind: 'exit' }>, pc: number): void {
    this.m.ledger.tally('callouts', 'continuation');
    const generation = this.cache.generation;
    this.m.pc = pc;
    const target = this.resolve(site.target);
    if (target === null) return;
    if (this.settings.chaining && site.unit.live && this.cache.generation === generation) this.cache.chain(pc, target);
    this.m.pc = target.address;
  }

  /** Indirect control flow: do the guest instruction's work, then continue at its target (looked up by settle). */
  lookup(site: Extract<PlacedSite, { kind: 'lookup' }>, pc: number): void {
    const m = this.m;
    const sp = m.regs[15];
    switch (site.flow) {
      case 'return': {
        const target = this.guardedRead(sp, pc);
        if (target === null) return;
        m.regs[15] = (sp + 4) | 0;
        m.pc = target;
        return;
      }
      case 'indirect-jump':
        m.pc = m.regs[site.ra];
        return;
      case 'indirect-call': {
        const target = m.regs[site.ra];
        if (!this.guardedWrite((sp - 4) | 0, site.guestNext, pc)) return;
        m.regs[15] = (sp - 4) | 0;
        m.pc = target;
        return;
      }
    }
  }

  // ---- memory accesses the monitor performs for the guest -----------------------------------------

  /** Read a guest word at ring 1 through the shadow (faults resolved; a guest fault is delivered at cache pc `pc`): null if delivered. */
  guardedRead(va: number, pc: number): number | null {
    return this.guarded(() => this.m.read32(va), pc, null);
  }

  /** Write a guest word at ring 1 through the shadow; false if a guest fault was delivered at cache pc `pc`. */
  guardedWrite(va: number, value: number, pc: number): boolean {
    return this.guarded(() => (this.m.write32(va, value), true), pc, () => this.pager.emulateWrite(va, value, 4, 0)) ?? false;
  }

  private guarded<T>(access: () => T, pc: number, onTrace: (() => T) | null): T | null {
    for (let k = 0; k < 8; k++) {
      try {
        return access();
      } catch (e) {
        if (!(e instanceof GuestFault)) throw e;
        const r: FaultResolution = e.vector === Vector.pageFault ? this.resolveFault(e.faultAddress, e.errorCode) : { kind: 'guest', vector: e.vector, errorCode: e.errorCode, address: 0 };
        if (r.kind === 'retry') continue;
        if (r.kind === 'trace' && onTrace) {
          this.m.ledger.tally('traps', 'page-table write');
          return onTrace();
        }
        if (r.kind !== 'guest') break;
        this.m.pc = pc;
        this.reflectFault(r, pc);
        return null;
      }
    }
    this.m.stop({ kind: 'stopped', detail: `internal error: a monitor access for the guest at ${hex(this.cache.guestPcAt(pc))} keeps faulting` });
    return null;
  }

  /**
   * A store of an adaptively retranslated instruction (the callout site is `m.pc`): through
   * the pager's validation when it hits a write-protected guest page table (no trace fault:
   * the callout is the planned path), else as an ordinary store. Returns whether it wrote a
   * page table, or null if a guest fault was delivered instead.
   */
  validatedStore(address: number, value: number, size: 1 | 4): boolean | null {
    // the callout is the planned path: no trace fault
    if (this.pager.emulateWrite(address, value, size, 0, false)) return true;
    const m = this.m;
    const done = this.guarded(() => (size === 1 ? m.write8(address, value) : m.write32(address, value), true), m.pc, null);
    return done === null ? null : false;
  }

  // ---- exceptions -----------------------------------------------------------------------------------

  /** An exception at `t.pc` (a cache address at ring 1, a guest pc at ring 3). */
  onException(t: Extract<Trap, { kind: 'exception' }>): void {
    const m = this.m;
    const inCache = m.cpl !== 3 && this.cache.contains(t.pc);
    if (m.cpl !== 3 && !inCache) {
      m.stop({ kind: 'stopped', detail: `internal error: exception ${t.vector} at ring ${m.cpl} outside the translation cache (${hex(t.pc)}): ${t.detail}` });
      return;
    }
    if (t.vector !== Vector.pageFault) {
      this.m.ledger.tally('traps', exceptionDetail(t.vector));
      this.reflect({ vector: t.vector, errorCode: t.errorCode, returnPc: this.leave(t.pc) });
      return;
    }
    const r = this.resolveFault(t.faultAddress, t.errorCode);
    switch (r.kind) {
      case 'retry':
        if (inCache && this.stale(t.pc)) this.storeAndLeave(t.pc);
        return;
      case 'guest':
        this.reflectFault(r, t.pc);
        return;
      case 'trace':
        this.m.ledger.tally('traps', 'page-table write');
        this.emulateTrace(t.pc, inCache);
        return;
      case 'doorbell':
        this.m.ledger.tally('traps', 'doorbell');
        m.pc = (t.pc + 8) | 0;
        this.deliverIfPossible(m.pc);
        return;
    }
  }

  private reflectFault(r: Extract<FaultResolution, { kind: 'guest' }>, pc: number): void {
    const returnPc = this.leave(pc);
    if (r.vector === Vector.pageFault) this.v.cr[2] = r.address;
    this.reflect({ vector: r.vector, errorCode: r.errorCode, returnPc });
  }

  /**
   * Classify a machine page fault at `address`: the VMM range (doorbell, or a fault the guest
   * would take there), a write to translated code (invalidate, then let the pager make it
   * writable), or whatever the shadow pager says.
   */
  resolveFault(address: number, errorCode: number): FaultResolution {
    const m = this.m;
    const vcpl = m.cpl === 3 ? 3 : 0;
    if (isVmmAddress(address)) {
      if (vcpl === 0 && address >>> 12 === this.linear.doorbell >>> 12 && (errorCode & PfError.write) === 0) return { kind: 'doorbell' };
      if (m.cpl !== 3 && this.vmmUnmapped()) {
        // another vCPU's VMM replaced this vCPU's root (the pager's pool ran dry): the VMM range goes into the new one
        this.m.ledger.tally('traps', 'hidden page fault');
        this.mapVmm();
        return { kind: 'retry' };
      }
      return this.vmmRangeFault(address, errorCode, vcpl);
    }
    if ((errorCode & (PfError.write | PfError.present)) === (PfError.write | PfError.present)) {
      const frame = this.guestWritableFrame(address, vcpl);
      if (frame !== null && this.protection.isProtected(frame)) this.invalidateCode(frame);
    }
    const verdict = this.pager.onPageFault(address, errorCode, vcpl);
    switch (verdict.kind) {
      case 'hidden':
        this.m.ledger.tally('traps', 'hidden page fault');
        this.protection.afterFill(this.m, address);
        return { kind: 'retry' };
      case 'guest':
        this.m.ledger.tally('traps', 'guest page fault');
        return verdict.outsideGuestMemory
          ? { kind: 'guest', vector: Vector.generalProtection, errorCode: 0, address }
          : { kind: 'guest', vector: Vector.pageFault, errorCode: verdict.errorCode, address: verdict.address };
      case 'trace':
        return { kind: 'trace' };
    }
  }

  /** A fault in the VMM's linear range: the guest's own fault there, unless the guest maps it (unsupported). */
  private vmmRangeFault(address: number, errorCode: number, vcpl: number): FaultResolution {
    this.m.ledger.tally('traps', 'guest page fault');
    const access = accessOfErrorCode(errorCode);
    if ((this.v.cr[0] & CR0_PG) === 0) return { kind: 'guest', ...PAST_MEMORY, address };
    const walk = walkGuestTables(this.m.memory, this.guestMemoryBytes, this.v.cr[3], address);
    if (walk.kind === 'mapped') {
      this.m.stop({ kind: 'stopped', detail: `the guest maps ${hex(address)}, inside the range [${hex(VMM_VA)}, 0xffffffff] the binary-translation VMM reserves` });
      return { kind: 'retry' };
    }
    // not mapped: a page fault, or the #GP of a walk past guest RAM
    return { kind: 'guest', ...(walkFault(walk, this.guestMemoryBytes, access, vcpl === 3) ?? PAST_MEMORY), address };
  }

  /** Guest frame a write at `va` reaches if the guest's own tables allow it, else null. */
  private guestWritableFrame(va: number, vcpl: number): number | null {
    if ((this.v.cr[0] & CR0_PG) === 0) return va >>> 0 < this.guestMemoryBytes ? (va & FRAME_MASK) >>> 0 : null;
    const walk = walkGuestTables(this.m.memory, this.guestMemoryBytes, this.v.cr[3], va);
    if (walk.kind !== 'mapped' || walk.frame >= this.guestMemoryBytes || guestAccessError(walk, Access.write, vcpl === 3) !== null) return null;
    return walk.frame;
  }

  /** The guest writes frame `frame`, which holds translated code: drop those translations and stop protecting it. */
  private invalidateCode(frame: number): void {
    // every vCPU's translations of the frame go (this VMM does the work); a vCPU running one finishes its unit
    for (const other of this.guest.monitors) if (other !== this) other.cache.invalidateFrame(frame, this.counted);
    this.invalidated = this.cache.invalidateFrame(frame);
    this.protection.unprotect(frame);
  }

  /** Units dropped by the last invalidation (to tell whether the faulting unit itself went). */
  private invalidated: Unit[] = [];

  /** Whether the unit holding cache address `pc` was just invalidated. */
  private stale(pc: number): boolean {
    const hit = this.invalidated.some((u) => pc >= u.address && pc < u.address + u.bytes);
    this.invalidated = [];
    return hit;
  }

  /**
   * A store at cache address `pc` wrote code of its own (now invalidated) unit: do the store
   * here and continue at the next guest instruction, freshly translated.
   */
  private storeAndLeave(pc: number): void {
    const d = this.decodeCache(pc);
    const m = this.m;
    if (d === null || (d.i.mnemonic !== 'st' && d.i.mnemonic !== 'stb')) return; // retried as is
    const i = d.i;
    const address = (m.regs[i.rb] + i.imm) | 0;
    const ok = this.guarded(() => (i.mnemonic === 'stb' ? m.write8(address, m.regs[i.ra]) : m.write32(address, m.regs[i.ra]), true), pc, null);
    if (ok === null) return;
    m.pc = this.cache.guestPcAt((pc + d.size) | 0);
  }

  /** Decode the translated instruction at cache address `pc`. */
  private decodeCache(pc: number): { i: Instruction; size: number } | null {
    const k = (this.physical.cache + ((pc - this.linear.cache) >>> 0)) >>> 2;
    const d = decode(this.m.memory.i32[k], this.m.memory.i32[k + 1]);
    return d.ok ? { i: d.instruction, size: d.size } : null;
  }

  /** Decode the guest instruction at guest pc `pc` (ring 3 code), through the guest's tables. */
  private decodeGuest(pc: number): { i: Instruction; size: number } | null {
    const w = this.mem.read32(pc);
    const d = w === null ? null : decode(w, this.mem.read32((pc + 4) | 0) ?? 0);
    return d !== null && d.ok ? { i: d.instruction, size: d.size } : null;
  }

  /**
   * A store at `pc` hit a write-protected guest page table: emulate it through the pager and
   * continue after it. A translated store that keeps doing this is retranslated into a
   * callout (adaptive BT).
   */
  private emulateTrace(pc: number, inCache: boolean): void {
    const m = this.m;
    const d = inCache ? this.decodeCache(pc) : this.decodeGuest(pc);
    const store = d && STORES[d.i.mnemonic as keyof typeof STORES];
    if (!d || !store) {
      m.stop({ kind: 'stopped', detail: `internal error: cannot emulate a page-table write by the instruction at ${hex(pc)}` });
      return;
    }
    const { address, value, size, sp } = store(m.regs, d.i);
    if (!this.pager.emulateWrite(address, value, size, m.cpl === 3 ? 3 : 0)) {
      m.stop({ kind: 'stopped', detail: `internal error: write at ${hex(address)} reported as traced but not emulated` });
      return;
    }
    if (sp !== undefined) m.regs[15] = sp;
    this.m.ledger.tally('emulations', d.i.mnemonic);
    m.pc = (pc + d.size) | 0;
    if (!inCache || d.i.mnemonic === 'push') return;
    const guestPc = this.cache.guestPcAt(pc);
    if (this.adaptive.onTrace(guestPc) === 'redirect') {
      const guestNext = this.cache.guestPcAt(m.pc);
      const generation = this.cache.generation;
      this.adaptive.redirect(this.cache, (g) => this.translate(g), pc, guestPc);
      // translating flushed the cache under us: continue at the guest's next pc (settle looks it up)
      if (this.cache.generation !== generation) m.pc = guestNext;
    }
  }

  // ---- external interrupts and user-mode traps -----------------------------------------------

  /** A real interrupt: a pending virtual one, delivered now if the guest can take it. */
  onInterrupt(t: Extract<Trap, { kind: 'interrupt' }>): void {
    this.m.ledger.tally('traps', 'interrupt');
    this.v.pending.push(t.vector);
    if (this.shared.hasDeliverable()) this.deliverPending(this.leave(t.pc));
    else if (this.v.halted) this.m.halted = true; // still waiting: the interrupt is held back
  }

  /** INT n from guest user code: through the guest's table, as the hardware would. */
  userSoftwareInterrupt(vector: number, pc: number, nextPc: number): void {
    this.m.ledger.tally('traps', intDetail(vector));
    const flags = this.mem.read32((this.v.idtBase + vector * GATE_SIZE + 4) | 0);
    const dpl = flags === null ? 0 : (flags >>> Gate.dplShift) & 3;
    // as natively: a gate not present or that user code may not use is a #GP naming it, at the INT
    if (flags !== null && ((flags & Gate.present) === 0 || 3 > dpl)) {
      this.reflect({ vector: Vector.generalProtection, errorCode: vector * 8 + 2, returnPc: pc });
      return;
    }
    this.reflect({ vector, returnPc: nextPc });
  }
}

/** The effect of a store instruction (for emulating traced writes). */
const STORES = {
  st: (r: Int32Array, i: Instruction) => ({ address: (r[i.rb] + i.imm) | 0, value: r[i.ra], size: 4 as const, sp: undefined }),
  stb: (r: Int32Array, i: Instruction) => ({ address: (r[i.rb] + i.imm) | 0, value: r[i.ra] & 0xff, size: 1 as const, sp: undefined }),
  push: (r: Int32Array, i: Instruction) => ({ address: (r[15] - 4) | 0, value: r[i.ra], size: 4 as const, sp: (r[15] - 4) | 0 }),
};

/** The vector translated code uses for each kind of site. */
const VECTOR_OF: Readonly<Record<PlacedSite['kind'], number>> = { callout: Vec.callout, lookup: Vec.lookup, exit: Vec.exit };

/** Handlers of the sites in the cache, by kind. */
const SITE_HANDLERS: { [K in PlacedSite['kind']]: (bt: BtMonitor, s: Extract<PlacedSite, { kind: K }>, pc: number, nextPc: number) => void } = {
  callout: (bt, s, pc, nextPc) => bt.callout(s, pc, nextPc),
  lookup: (bt, s, pc) => bt.lookup(s, pc),
  exit: (bt, s, pc) => bt.exit(s, pc),
};

/** Handlers of the machine's traps, by kind. */
const TRAP_HANDLERS: { [K in Trap['kind']]: (bt: BtMonitor, t: Extract<Trap, { kind: K }>) => void } = {
  exception: (bt, t) => bt.onException(t),
  'software-interrupt': (bt, t) => {
    if (bt.m.cpl === 3) bt.userSoftwareInterrupt(t.vector, t.pc, t.nextPc);
    else bt.onSite(t.vector, t.pc, t.nextPc);
  },
  interrupt: (bt, t) => bt.onInterrupt(t),
  vmcall: (bt, t) => {
    // only guest user code can execute VMCALL (the kernel's is translated): no hypervisor interface, #UD
    bt.m.ledger.tally('traps', 'vmcall');
    bt.reflect({ vector: Vector.invalidOpcode, returnPc: t.pc });
  },
  // only guest user code can execute SYSENTER (the kernel's is translated): into the guest kernel at its entry point
  sysenter: (bt, t) => {
    bt.m.ledger.tally('traps', 'sysenter');
    bt.shared.sysenter(t.pc);
  },
};

