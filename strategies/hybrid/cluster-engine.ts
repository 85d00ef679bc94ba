/**
 * Hybrid's cluster engine (Agesen, Mattson, Rugina, Sheldon, "Software techniques for
 * avoiding hardware virtualization exits", USENIX ATC 2012): after the hardware-assisted
 * VMM has handled an exit at guest pc X, the engine looks at the guest code from X on. Where
 * more exiting instructions follow (a pair, or a cluster with control flow and loops), it
 * runs that code as binary-translated code in root mode instead of resuming the guest, so
 * the exiting instructions become callouts and one exit covers the cluster.
 *
 * The translator and the translation cache are binary translation's own (translator.ts,
 * translation-cache.ts), entered here by a VM exit instead of by software interrupts
 * (`entry: 'vm-exit'`): a continuation out of a cluster resumes the guest in hardware at its
 * target, unless the target is itself a cluster (`clusters=on`), to which it is chained.
 * Translated code runs at ring 1 of root mode through the shadow page tables, with the VMM's
 * data page and cache mapped into the active shadow root while it runs. Anything the engine
 * does not emulate (a fault, indirect control flow, IRET, PUSHF ...) ends the cluster at the
 * guest instruction concerned, which then runs in hardware as it would have.
 *
 * A cached translation is checked against the guest code before each use and invalidated
 * (as BT invalidates) when the code changed; BT notices such writes by write-protecting
 * the code's frames instead, which a guest running in hardware would not fault on.
 * @category Hybrid
 */
import type { Cpu } from '../../core/cpu/cpu';
import type { Trap, VcpuHandler } from '../../core/cpu/exit';
import { CR0_PG, ControlRegister, Flag, Vector } from '../../core/isa/table';
import { FRAME_MASK, Pte } from '../../core/mmu/pte';
import type { VmExit } from '../../core/vmx/exits';
import { mapVcpuArea, VMM_DIR, Vec, vmmLinear, type VmmLinear, type VmmPhysical } from '../binary-translation/layout';
import { TranslationCache, type PlacedSite, type Unit } from '../binary-translation/translation-cache';
import { translateUnit, type CalloutKind, type CodeSource, type TranslatedUnit } from '../binary-translation/translator';
import { MemoryVirtualCpu } from '../binary-translation/vmm-state';
import { injectPending, type ExitContext } from '../hardware-assisted/exit-handlers';
import { vmwrite } from '../hardware-assisted/vmcs-access';
import { EVERY_TRAP } from '../shared/monitor';
import { detailNames } from '../../core/cost/detail-names';
import { translationCounter } from '../binary-translation/counters';

/** The exits-avoided detail of a control-register write. */
const WRCR_DETAIL = detailNames((cr: number) => `wrcr cr${cr}`);

/**
 * The engines of one guest's vCPUs that have the VMM range mapped into a shadow root while
 * their cluster runs, by root (several vCPUs may run on one root): the entry is taken out
 * again when the last one leaves. Shared by the guest's engines.
 */
export type VmmRangeUsers = Map<number, { users: number; readonly saved: number }>;

/** How far clustering goes: not at all, pairs of exiting instructions, or clusters with control flow. */
export type ClusterMode = 'off' | 'pairs' | 'on';

/** The engine's settings (the strategy's options). */
export interface ClusterSettings {
  readonly clusters: ClusterMode;
  /** guest instructions examined (translated) from an exiting instruction on */
  readonly lookahead: number;
  /** exits at one guest pc before the code there is examined */
  readonly threshold: number;
  /** bytes of translated code the cache holds */
  readonly cacheBytes: number;
}

/** Exits of an instruction a cluster can start at (the guest kernel's port I/O, control-register accesses, INVLPG). */
const CLUSTERABLE: ReadonlySet<VmExit['reason']> = new Set(['io', 'cr-access', 'invlpg']);

const PTE_FLAGS = Pte.present | Pte.accessed;
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** A callout site in the cache. */
type CalloutSite = Extract<PlacedSite, { kind: 'callout' }>;

/** What the engine does at a callout it emulates; false if it cannot (nothing done: the instruction runs in hardware). */
type Emulation = (e: ClusterEngine, s: CalloutSite) => boolean;

/** Whether the hardware would have exited at a callout's instruction, under the control block's settings. */
const exits = (c: ExitContext, s: CalloutSite): boolean => {
  const i = s.instruction;
  if (i === null) return false;
  const ctl = c.vmcs.controls;
  switch (s.callout) {
    case 'in':
    case 'out':
      return ctl.unconditionalIo || ctl.ioBitmap.has(i.imm12);
    case 'wrcr':
      return (ctl.crWriteExiting & (1 << i.imm12)) !== 0;
    case 'invlpg':
      return ctl.invlpg;
    case 'pte-write':
      // a store to a write-protected guest page table: a page-fault exit (the pager's trace)
      return (ctl.exceptionBitmap & (1 << Vector.pageFault)) !== 0;
    default:
      return false;
  }
};

/** The callouts the engine emulates in root mode (the exiting instructions of a cluster); any other ends the cluster. */
const EMULATIONS: Partial<Readonly<Record<CalloutKind, Emulation>>> = {
  in: (e, s) => {
    const i = s.instruction!;
    e.m.regs[i.ra] = e.x.devices.read(e.m, i.imm12);
    e.m.regs[0] = 0;
    return true;
  },
  out: (e, s) => {
    const i = s.instruction!;
    e.x.devices.write(e.m, i.imm12, e.m.regs[i.ra]);
    return true;
  },
  invlpg: (e, s) => {
    e.x.pager?.invalidatePage(e.m.regs[s.instruction!.ra]);
    return true;
  },
  // a store that took page-table trace exits, translated as a callout (binary translation's adaptive rule): validated by the pager
  'pte-write': (e, s) => {
    const i = s.instruction!;
    const size = i.mnemonic === 'stb' ? 1 : 4;
    const value = size === 1 ? e.m.regs[i.ra] & 0xff : e.m.regs[i.ra];
    return e.x.pager?.emulateWrite((e.m.regs[i.rb] + i.imm) | 0, value, size, 0, false) === true;
  },
  wrcr: (e, s) => {
    const i = s.instruction!;
    const value = e.m.regs[i.ra];
    const c = e.x;
    if (i.imm12 === ControlRegister.cr8) {
      e.v.cr[8] = value;
      return true;
    }
    // cr0 and cr3: the guest's paging state, whose shadow root the pager switches (the VMM range leaves the old root first)
    e.unmapVmm();
    if (i.imm12 === ControlRegister.cr0) {
      const toggled = ((c.guestCr.cr0 ^ value) & CR0_PG) !== 0;
      c.guestCr.cr0 = value;
      c.vmcs.cr0ReadShadow = value;
      vmwrite(e.m, 'CR0 read shadow');
      if (toggled) c.pager?.setGuestPaging((value & CR0_PG) !== 0, c.guestCr.cr3);
    } else {
      c.guestCr.cr3 = value;
      if ((c.guestCr.cr0 & CR0_PG) !== 0) c.pager?.setGuestPaging(true, value);
    }
    e.v.cr[i.imm12] = value;
    return e.mapVmm();
  },
};

/** The cluster engine of one CPU. */
export class ClusterEngine implements Required<Pick<VcpuHandler, 'onTrap'>> {
  /** the guest's virtual CPU state as translated code reads and writes it inline (the data page) */
  readonly v: MemoryVirtualCpu;
  readonly cache: TranslationCache;
  private readonly fetch: CodeSource;
  /** guest pcs of stores whose page-table writes exited (traces): translated as `pte-write` callouts */
  private readonly traceStores = new Set<number>();
  /** exits seen at each guest pc not yet examined */
  private readonly exitsAt = new Map<number, number>();
  /** whether each placed unit is a cluster, and the guest words it was translated from */
  private readonly units = new WeakMap<Unit, { readonly cluster: boolean; readonly code: readonly number[] }>();
  /** the shadow root the VMM range is mapped into while a cluster runs */
  private mapped: number | null = null;
  private running = false;

  /**
   * The engine of vCPU `m`, its area at `physical` (machine) and `linear` (default vCPU 0's),
   * sharing `ranges` with the guest's other engines.
   */
  constructor(
    readonly m: Cpu,
    readonly x: ExitContext,
    readonly physical: VmmPhysical,
    readonly settings: ClusterSettings,
    readonly linear: VmmLinear = vmmLinear(),
    private readonly ranges: VmmRangeUsers = new Map(),
  ) {
    this.v = new MemoryVirtualCpu(m.memory, physical.data);
    this.cache = new TranslationCache(m.memory, physical.cache, settings.cacheBytes, (what, n) => m.ledger.count(translationCounter(what), n), linear.cache);
    this.fetch = (va) => {
      const pa = x.pager?.guestTranslate(va) ?? null;
      return pa === null ? null : { word: m.memory.i32[pa >>> 2], frame: (pa & FRAME_MASK) >>> 0 };
    };
    // the VMM's page table: the vCPU's data page, (unused) doorbell page and cache, supervisor only
    mapVcpuArea(m.memory.i32, physical, linear, settings.cacheBytes);
  }

  // ---- after an exit -----------------------------------------------------------------------

  /**
   * The exit at `exit.pc` has been handled and the guest would resume at its next
   * instruction: run the cluster there instead, if there is one. True if a cluster now runs
   * (the caller does not enter the guest).
   */
  afterExit(exit: VmExit): boolean {
    const c = this.x;
    const g = c.vmcs.guest;
    if (this.settings.clusters === 'off' || c.pager === null || g.cpl !== 0) return false;
    // a page-table write the pager emulated (a trace): the store becomes a callout in translations from now on
    const traced = exit.reason === 'exception' && exit.vector === Vector.pageFault && c.vmcs.injection === null && g.pc !== exit.pc;
    if (traced) this.traceStores.add(exit.pc);
    else if (!CLUSTERABLE.has(exit.reason) || !('nextPc' in exit) || g.pc !== exit.nextPc) return false;
    // an event to deliver, a halted guest: the hardware does it
    if (c.vmcs.injection !== null || c.vmcs.activityHalted || c.pending.length > 0 || this.m.pic.deliverable() >= 0) return false;
    const unit = this.clusterAt(exit.pc);
    if (unit === null) return false;
    const start = this.addressAfter(unit, exit.pc, g.pc);
    if (start === null || !this.mapVmm()) return false;
    this.enter(start);
    return true;
  }

  /** The cluster starting at guest pc `pc`: looked up (counted), translated once `threshold` exits happened there; null if none. */
  private clusterAt(pc: number): Unit | null {
    let unit = this.cache.lookup(pc);
    if (unit !== undefined && !this.current(unit)) unit = undefined;
    if (unit === undefined) {
      const seen = (this.exitsAt.get(pc) ?? 0) + 1;
      if (seen < this.settings.threshold) {
        this.exitsAt.set(pc, seen);
        return null;
      }
      this.exitsAt.delete(pc);
      unit = this.translate(pc) ?? undefined;
    }
    return unit !== undefined && this.units.get(unit)?.cluster === true ? unit : null;
  }

  /** Whether a cached unit still matches the guest code; if not, its translations are invalidated. */
  private current(unit: Unit): boolean {
    const code = this.units.get(unit)?.code ?? [];
    if (code.every((w, k) => this.fetch((unit.guestPc + 4 * k) | 0)?.word === w)) return true;
    for (const f of unit.frames) this.cache.invalidateFrame(f);
    return false;
  }

  /**
   * Translate the code from the exiting instruction at `x` on: one unit (a pair: up to the
   * second callout), or with `clusters=on` the units its continuations lead to as well, up to
   * `lookahead` guest instructions in all. The units form a cluster if they hold another
   * exiting instruction, or loop back to `x`. Returns the unit at `x`.
   */
  private translate(x: number): Unit | null {
    const pairs = this.settings.clusters === 'pairs';
    const group: { unit: Unit; code: number[] }[] = [];
    const queue = [x | 0];
    const seen = new Set<number>();
    const generation = this.cache.generation;
    let budget = this.settings.lookahead;
    let exiting = 0;
    let loops = false;
    let instructions = 0;
    while (queue.length > 0 && budget > 0) {
      const pc = queue.shift()!;
      if (seen.has(pc) || (pc !== x && this.cache.find(pc) !== undefined)) continue;
      seen.add(pc);
      const t = translateUnit(this.fetch, pc, {
        maxInstructions: budget,
        entry: 'vm-exit',
        calloutStores: this.traceStores,
        maxCallouts: pairs ? 2 : undefined,
        dataVa: this.linear.data,
      });
      if (!t.ok) continue;
      const unit = this.place(t.unit);
      budget -= t.unit.guestInstructions;
      instructions += t.unit.guestInstructions;
      exiting += t.unit.sites.filter(({ site }) => site.kind === 'callout' && exits(this.x, { ...site, unit })).length;
      group.push({ unit, code: Array.from({ length: t.unit.guestBytes >>> 2 }, (_, k) => this.fetch((pc + 4 * k) | 0)?.word ?? 0) });
      if (pairs) break;
      for (const { site } of t.unit.sites)
        if (site.kind === 'exit') {
          loops ||= site.target === (x | 0);
          queue.push(site.target);
        }
    }
    // a flush while translating dropped the first units: examine again at the next exit
    if (group.length === 0 || group[0].unit.guestPc !== (x | 0) || this.cache.generation !== generation) return null;
    const cluster = exiting >= 2 || (exiting === 1 && loops);
    for (const g of group) this.units.set(g.unit, { cluster, code: g.code });
    if (cluster) {
      this.m.ledger.count('hybrid.clusters');
      this.m.ledger.count('hybrid.clusterInstructions', instructions);
      this.m.ledger.count('hybrid.clusterExits', exiting);
    }
    return group[0].unit;
  }

  /** Place a unit, flushing the cache when it is full. */
  private place(t: TranslatedUnit): Unit {
    const unit = this.cache.place(t);
    if (unit !== null) return unit;
    this.cache.flush();
    const again = this.cache.place(t);
    if (again === null) throw new Error(`internal error: a unit of ${t.words.length * 4} bytes does not fit an empty cache of ${this.cache.capacity}`);
    return again;
  }

  /** Cache address of the first word of the guest instruction after the one at `pc` in `unit`, or null if the unit ends there. */
  private addressAfter(unit: Unit, pc: number, next: number): number | null {
    for (let a = unit.address; a < unit.address + unit.bytes; a = (a + 4) | 0) {
      if (this.cache.guestPcAt(a) === pc) continue;
      // the unit ends after the instruction (a continuation slot stands there): nothing to run
      return this.cache.siteAt(a)?.kind === 'exit' || this.cache.guestPcAt(a) !== next ? null : a;
    }
    return null;
  }

  /** Run translated code at cache address `start` in root mode, with the guest's state. */
  private enter(start: number): void {
    const m = this.m;
    const c = this.x;
    const g = c.vmcs.guest;
    const v = this.v;
    v.cr.set(g.cr);
    v.cr[0] = c.guestCr.cr0;
    v.cr[3] = c.guestCr.cr3;
    v.idtBase = g.idtBase;
    v.interruptsEnabled = (g.flags & Flag.IF) !== 0;
    m.regs.set(g.regs);
    m.flags = g.flags & ~Flag.IF;
    m.cpl = 1;
    m.pc = start;
    m.monitor = EVERY_TRAP;
    this.running = true;
    m.ledger.count('hybrid.clusterRuns');
  }

  // ---- while a cluster runs ------------------------------------------------------------------

  /** Every trap of translated code comes here: its sites, and faults (which end the cluster). */
  onTrap(trap: Trap): void {
    if (!this.running) {
      this.m.stop({ kind: 'stopped', detail: `internal error: a ${trap.kind} trap at ${hex(trap.pc)} with no cluster running` });
      return;
    }
    if (trap.kind !== 'software-interrupt') {
      if (trap.kind === 'interrupt') this.x.pending.push(trap.vector);
      this.leave(this.resumePc(trap.pc), trap.kind === 'exception' ? `exception ${trap.vector}` : trap.kind);
      return;
    }
    const site = this.cache.siteAt(trap.pc);
    if (site === undefined || VECTOR_OF[site.kind] !== trap.vector) {
      this.m.stop({ kind: 'stopped', detail: `internal error: int ${hex(trap.vector)} at ${hex(trap.pc)} is no site of the translation cache` });
      return;
    }
    (SITES[site.kind] as (e: ClusterEngine, s: PlacedSite, pc: number, nextPc: number) => void)(this, site, trap.pc, trap.nextPc);
  }

  /** A callout: an exiting instruction emulated without an exit, or the end of the cluster. */
  callout(s: CalloutSite, nextPc: number): void {
    const emulate = EMULATIONS[s.callout];
    if (emulate === undefined || s.instruction === null) return this.leave(s.guestPc, s.callout);
    // an interrupt waits for the guest: the hardware takes it at the exiting instruction
    if (this.x.pending.length > 0 || this.m.pic.deliverable() >= 0) return this.leave(s.guestPc, 'interrupt');
    const exited = exits(this.x, s);
    if (!emulate(this, s)) return this.leave(s.guestPc, `${s.callout} not emulated`);
    this.m.ledger.tally('callouts', s.callout);
    if (exited) this.m.ledger.tally('hybrid.exitsAvoided', s.callout === 'wrcr' ? WRCR_DETAIL(s.instruction.imm12) : s.callout);
    if (this.m.stopReason === null) this.m.pc = nextPc;
  }

  /** A continuation to guest pc `target`: chained to the cluster there (clusters=on), else back to hardware execution. */
  continuation(s: Extract<PlacedSite, { kind: 'exit' }>, pc: number): void {
    if (this.settings.clusters === 'on' && this.x.pending.length === 0 && this.m.pic.deliverable() < 0) {
      const target = this.cache.lookup(s.target);
      if (target !== undefined && this.units.get(target)?.cluster === true && this.current(target)) {
        if (s.unit.live) this.cache.chain(pc, target);
        this.m.pc = target.address;
        return;
      }
    }
    this.leave(s.target, 'continuation');
  }

  /** Where the guest resumes if translated code stopped before the word at `pc` (a borrowed register restored). */
  private resumePc(pc: number): number {
    const r = this.cache.spillAt(pc);
    if (r !== 0) this.m.regs[r] = this.v.spill;
    return this.cache.guestPcAt(pc);
  }

  /** End the cluster: the guest resumes in hardware at guest pc `pc` with the state the translated code left. */
  leave(pc: number, why: string): void {
    const m = this.m;
    const c = this.x;
    const g = c.vmcs.guest;
    const v = this.v;
    this.running = false;
    m.monitor = null;
    this.unmapVmm();
    m.ledger.tally('hybrid.returns', why);
    g.regs.set(m.regs);
    g.regs[0] = 0;
    g.flags = (m.flags & ~Flag.IF) | (v.interruptsEnabled ? Flag.IF : 0);
    for (const n of [ControlRegister.cr2, ControlRegister.cr4, ControlRegister.cr5, ControlRegister.cr6, ControlRegister.cr8]) g.cr[n] = v.cr[n];
    g.idtBase = v.idtBase;
    g.pc = pc;
    vmwrite(m, 'guest RIP');
    // the shadow root is the guest's real cr3 (a cr3 write in the cluster may have changed it)
    if (g.cr[3] !== m.cr[3]) vmwrite(m, 'guest CR3');
    g.cr[0] = m.cr[0];
    g.cr[3] = m.cr[3];
    g.cpl = 0;
    if (c.pending.length > 0) injectPending(c);
    if (m.stopReason === null) m.vmEnter(c.vmcs);
  }

  // ---- the VMM's range in the active shadow root ---------------------------------------------

  /** Map the VMM's data page and cache into the active shadow root; false if the guest maps that range itself. */
  mapVmm(): boolean {
    const root = (this.m.cr[3] & FRAME_MASK) >>> 0;
    const i32 = this.m.memory.i32;
    const k = (root >>> 2) + VMM_DIR;
    const pde = this.physical.pageTable | PTE_FLAGS | Pte.writable;
    if (i32[k] !== 0 && i32[k] !== pde) return false;
    const r = this.ranges.get(root);
    if (r === undefined) this.ranges.set(root, { users: 1, saved: i32[k] });
    else r.users++;
    this.mapped = root;
    i32[k] = pde;
    this.m.mmu.invalidate(this.linear.data);
    return true;
  }

  /**
   * Take the VMM's range out of the shadow root it was mapped into, unless another vCPU's
   * cluster still runs on it (the entry that resumes the guest flushes the TLB). An entry no
   * longer the VMM's (the pager dropped the root and reused its frame) is left alone.
   */
  unmapVmm(): void {
    if (this.mapped === null) return;
    const root = this.mapped;
    const r = this.ranges.get(root);
    this.mapped = null;
    if (r !== undefined && --r.users === 0) {
      this.ranges.delete(root);
      const k = (root >>> 2) + VMM_DIR;
      const i32 = this.m.memory.i32;
      if (i32[k] === (this.physical.pageTable | PTE_FLAGS | Pte.writable)) i32[k] = r.saved;
    }
    this.m.mmu.flush();
  }
}

/** The vector translated code uses for each kind of site. */
const VECTOR_OF: Readonly<Record<PlacedSite['kind'], number>> = { callout: Vec.callout, lookup: Vec.lookup, exit: Vec.exit };

/** What the engine does at each kind of site. */
const SITES: { [K in PlacedSite['kind']]: (e: ClusterEngine, s: Extract<PlacedSite, { kind: K }>, pc: number, nextPc: number) => void } = {
  callout: (e, s, _pc, nextPc) => e.callout(s, nextPc),
  // indirect control flow: the instruction runs in hardware
  lookup: (e, s) => e.leave(s.guestPc, 'indirect control flow'),
  exit: (e, s, pc) => e.continuation(s, pc),
};
