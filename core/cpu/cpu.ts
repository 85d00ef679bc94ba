/**
 * One CPU: registers, flags, privilege level, control registers, its TLB and MMU, its local
 * interrupt controller and timer, its VMX state (one VMCS per CPU), its ledger (counted
 * events and modelled cycles), and its run state. Memory and the shared devices belong to
 * the platform (core/platform/platform.ts). Instruction semantics are in semantics.ts, the
 * reference interpreter in interpreter.ts, the run loop in execute.ts, VM entry and exit in
 * vmx-transitions.ts, exception and interrupt delivery in delivery.ts.
 * @category CPU
 */
import { Ledger, UNIT_PRICES, type CounterRef, type LedgerSnapshot, type PriceOf } from '../cost/ledger';
import { InterruptController } from '../devices/pic';
import { BACK_END_WRITES, Irq, Port } from '../devices/ports';
import { aboveTaskPriority } from '../devices/priority';
import { Timer } from '../devices/timer';
import { EventSink, MACHINE_COUNTERS } from '../events/events';
import { CR0_PG, Flag, IOPL_SHIFT } from '../isa/table';
import type { IsaVariant } from '../isa/variant';
import type { PhysicalMemory } from '../mmu/memory';
import { Mmu } from '../mmu/mmu';
import { Access } from '../mmu/pte';
import { Tlb } from '../mmu/tlb';
import type { Platform } from '../platform/platform';
import type { InjectedEvent, Vmcs } from '../vmx/vmcs';
import { DEFAULT_ENGINE, type Engine } from './engine';
import type { CpuExit, MonitorControls } from './exit';
import { privilegeColumn } from './privilege';
import type { StopReason } from './stop';
import { runVcpu } from './vcpu-loop';
import { enterGuest } from './vmx-transitions';

/** CPU configuration. */
export interface CpuConfig {
  /** TLB entries (power of two); default 64 */
  readonly tlbEntries?: number;
  /** TLB associativity (power of two, at most the entries); default 4 (1 = direct-mapped) */
  readonly tlbWays?: number;
  /** ISA variant; default 'default' */
  readonly variant?: IsaVariant;
  /** cycles per event of each cost key (a cost profile's); default: an instruction or a halted cycle costs one cycle, everything else nothing */
  readonly prices?: PriceOf;
  /** clock frequency, for device times given in microseconds; default 1 MHz (a cycle is a microsecond) */
  readonly frequencyHz?: number;
  /** the simulator engine (host machinery: no modelled number depends on it); default DEFAULT_ENGINE */
  readonly engine?: Engine;
}

/**
 * Why a hosted vCPU's run yields to its host: `spin`, a pause-loop exit asked for another
 * world to run (KVM's kvm_vcpu_on_spin); `helper`, a user-level device model of the host
 * must serve an access first (the vCPU waits for that helper world).
 */
export type HostYield = 'spin' | 'helper';

/** What a host scheduler (strategies/host) hooks into a CPU it runs as a vCPU. */
export interface HostLink {
  /** Something outside the CPU gave it a reason to run (an interrupt raised at its controller, a start-up IPI). */
  kick(): void;
  /**
   * A user-level device model serves one access: true if the host runs its round trip as a
   * helper world's work (not this CPU's); `access`, if given, is the device's action, which
   * the host performs when the round trip is done (the device acts at that time, as when the
   * round trip's cycles are this CPU's).
   */
  userDeviceModelRoundTrip(access?: () => void): boolean;
}

/** A CPU attached to a platform. */
export class Cpu {
  // ---- architectural state -----------------------------------------------------------
  /** general-purpose registers; r0 reads as zero */
  readonly regs = new Int32Array(16);
  pc = 0;
  flags = 0;
  /** current privilege level 0-3 */
  cpl = 0;
  /** control registers by number (cr0, cr2, cr3, cr4-6 ring stacks, cr8 TPR) */
  readonly cr = new Int32Array(16);
  /** linear base address of the interrupt descriptor table */
  idtBase = 0;

  // ---- hardware ----------------------------------------------------------------------
  /** this CPU's index on its platform */
  readonly index: number;
  /** the CPU number RDPID reads (x86 IA32_TSC_AUX): the index at reset; a VMM loads each vCPU's own */
  cpuId: number;
  /** the platform's memory */
  readonly memory: PhysicalMemory;
  readonly mmu: Mmu;
  /** the local interrupt controller */
  readonly pic = new InterruptController();
  /** the local timer */
  readonly timer = new Timer();
  /** counts and prices every event of this CPU */
  readonly ledger: Ledger;
  readonly events: EventSink;
  readonly variant: IsaVariant;
  /** the simulator engine that runs this CPU's instructions */
  readonly engine: Engine;
  /** per opcode: a PRIVILEGE_CODE (shared by the CPUs of one ISA variant: read only) */
  readonly privilegeByOpcode: Uint8Array;

  // ---- virtualization ----------------------------------------------------------------
  /** set while a software monitor owns ring 0: traps leave the run as values */
  monitor: MonitorControls | null = null;
  /** VMX non-root mode: the guest runs under `vmcs` */
  nonRoot = false;
  vmcs: Vmcs | null = null;
  /** instructions retired in non-root mode */
  retiredNonRoot = 0;
  /** an event the last VM entry injects, delivered when the CPU runs */
  pendingInjection: InjectedEvent | null = null;
  /** TLBs of root and non-root mode when VPID tags translations */
  rootTlb: Tlb | null = null;
  guestTlb: Tlb | null = null;

  // ---- run state ---------------------------------------------------------------------
  /** cycles per microsecond at the clock frequency (device times are given in microseconds) */
  readonly cyclesPerMicrosecond: number;
  /** the price of one retired instruction and of one page-walk reference (the interpreter's clock) */
  readonly instructionCycles: number;
  readonly walkCycles: number;
  /** instructions retired by CPL */
  readonly retiredByRing = new Float64Array(4);
  /**
   * The interpreter's cached code pages as its last bursts left them (core/cpu/interpreter.ts),
   * one for supervisor fetches and one for user fetches (a system call leaves one and returns
   * to it): the page's linear bits (or 4, none), number, physical less linear base and TLB
   * slot, valid while the TLB is as it was then (no flush, invalidation or switch:
   * `generation`; no fill: `misses`).
   */
  readonly codePages = [false, true].map(() => ({ bits: 4, vpn: -1, delta: 0, slot: 0, generation: -1, misses: -1 }));
  /** address of the instruction after the current one (jumps overwrite it) */
  next = 0;
  /** HLT is waiting for an interrupt */
  halted = false;
  /**
   * The host scheduler that runs this CPU as a vCPU (strategies/host), null when it runs
   * alone. A hosted CPU that halts leaves its run (a yield) instead of letting time pass: the
   * host takes the logical CPU back and wakes the vCPU at its next device event.
   */
  host: HostLink | null = null;
  /** Why the current run yields to the host after this exit or instruction (set only when hosted), null: it does not. */
  hostYield: HostYield | null = null;
  /** the instruction after STI: interrupts are not recognised yet */
  interruptShadow = false;
  /** something may be deliverable: recheck before the next instruction */
  interruptCheck = false;
  /** set when the run must end */
  stopReason: StopReason | null = null;
  /** an exit an instruction raised (INT or VMCALL to a monitor), returned after it */
  pendingExit: CpuExit | null = null;
  /** the CPL of an INT or VMCALL that trapped to the monitor, until it retires (-1: none) */
  trappedCpl = -1;
  /** cycle time at which the run loop must look at devices or the cycle budget */
  checkpoint = Infinity;
  /** instructions retired at which the current run ends (instruction budget) */
  instructionLimit = Infinity;
  /** cycle time at which the current run ends (cycle budget) */
  cycleLimit = Infinity;
  /** instructions and cycles when the current run began (for the budget's message) */
  runStart = { instructions: 0, cycles: 0 };
  /** waiting for a start-up IPI (x86's wait-for-SIPI state of a secondary CPU): runs nothing, takes no interrupt */
  waitingForStartup = false;
  /** the start address a start-up IPI delivered, taken when the CPU next runs (see execute.ts) */
  pendingStartup: number | null = null;
  /** cycle time at which this CPU's turn ends (the interleaving of a multiprocessor's CPUs) */
  turnEnd = Infinity;
  /** pause-loop detection: cycle times of the last PAUSE and of the start of the current spin */
  readonly pauseLoop = { last: -Infinity, start: 0 };
  /**
   * Instructions retired in spin-wait iterations: those since the previous PAUSE, counted at
   * a PAUSE at most SPIN_ITERATION_MAX instructions after it (every spin-wait loop of the
   * shipped guest has a PAUSE per iteration). Not an event (nothing is priced by it): the
   * host discounts them when it estimates a cut-short run's progress from instructions.
   */
  spinInstructions = 0;
  /** `instructions` at the last PAUSE */
  lastPauseAt = -Infinity;
  /** faults since an instruction last retired (fault-loop detection, core/cpu/execute.ts) */
  readonly progress = { instructions: 0, faults: 0 };
  /** the guest-visible time's mapping from the clock (see now()) */
  private wall = { base: 0, at: 0, rate: 1 };

  constructor(
    readonly platform: Platform,
    config: CpuConfig = {},
  ) {
    this.memory = platform.memory;
    this.mmu = new Mmu(this.memory, new Tlb(config.tlbEntries ?? 64, config.tlbWays ?? Math.min(4, config.tlbEntries ?? 64)));
    this.variant = config.variant ?? 'default';
    this.engine = config.engine ?? DEFAULT_ENGINE;
    this.ledger = new Ledger(config.prices ?? UNIT_PRICES, [MACHINE_COUNTERS]);
    const l = this.ledger;
    this.syncCounters = { instructions: l.ref('instructions'), nonRoot: l.ref('instructions.nonRoot'), hits: l.ref('tlb.hits'), misses: l.ref('tlb.misses'), walkReferences: l.ref('tlb.walkReferences') };
    this.cyclesPerMicrosecond = (config.frequencyHz ?? 1e6) / 1e6;
    this.instructionCycles = this.ledger.priceOfCounter('instructions');
    this.walkCycles = this.ledger.priceOfCounter('tlb.walkReferences');
    if (!(this.instructionCycles >= 1)) throw new RangeError(`an instruction must cost at least one cycle, got ${this.instructionCycles}`);
    this.events = new EventSink(this.ledger);
    this.privilegeByOpcode = privilegeColumn(this.variant);
    this.pic.onChange = () => {
      this.interruptCheck = true;
    };
    this.index = platform.attach(this);
    this.cpuId = this.index;
  }

  /** Load an image into physical memory. */
  load(address: number, bytes: Uint8Array): void {
    this.memory.load(address, bytes);
  }

  /** The IOPL field of the flags. */
  get iopl(): number {
    return (this.flags >>> IOPL_SHIFT) & 3;
  }

  /** The CPU's clock: modelled cycles so far (every priced event advances it; see core/cost/ledger.ts). */
  get time(): number {
    return this.ledger.cycles;
  }

  /**
   * Guest-visible time, the time the timer and the disk count on: reference cycles at the
   * profile's frequency, like a constant-rate TSC. Run alone, it is the CPU's clock itself;
   * a host that runs the CPU part-time, or slower (DVFS, a busy sibling thread), maps it to
   * host time with `setWallClock`.
   */
  now(): number {
    const w = this.wall;
    return w.base + (this.time - w.at) * w.rate;
  }

  /** How the guest-visible time follows the clock from now on: `base` now, then `rate` reference cycles per cycle. */
  setWallClock(base: number, rate: number): void {
    if (!(rate > 0)) throw new RangeError(`wall-clock rate must be positive, got ${rate}`);
    this.wall = { base, at: this.time, rate };
    this.reschedule();
  }

  /** The clock value at which guest-visible time reaches `t` (Infinity stays Infinity). */
  clockAt(t: number): number {
    if (t === Infinity) return Infinity;
    const w = this.wall;
    return w.rate === 1 ? w.at + (t - w.base) : w.at + Math.ceil((t - w.base) / w.rate);
  }

  /** Total instructions retired. */
  get instructions(): number {
    const r = this.retiredByRing;
    return r[0] + r[1] + r[2] + r[3];
  }

  // ---- counting ---------------------------------------------------------------------
  /** What the interpreter and the MMU counted in place, as already folded into the ledger. */
  private readonly folded = { byRing: new Float64Array(4), nonRoot: 0, hits: 0, misses: 0, walkReferences: 0 };
  /** The counters {@link sync} folds into (found once: it runs at the end of every burst). */
  private readonly syncCounters: Readonly<Record<'instructions' | 'nonRoot' | 'hits' | 'misses' | 'walkReferences', CounterRef>>;

  /** Fold the counts kept in place (instructions, TLB lookups, walk references) into the ledger. */
  sync(): void {
    const f = this.folded;
    const l = this.ledger;
    const c = this.syncCounters;
    for (let r = 0; r < 4; r++) {
      const d = this.retiredByRing[r] - f.byRing[r];
      if (d !== 0) l.addToIndex(c.instructions, r, d);
      f.byRing[r] = this.retiredByRing[r];
    }
    const mmu = this.mmu;
    if (this.retiredNonRoot !== f.nonRoot) l.add(c.nonRoot, this.retiredNonRoot - f.nonRoot);
    if (mmu.hits !== f.hits) l.add(c.hits, mmu.hits - f.hits);
    if (mmu.misses !== f.misses) l.add(c.misses, mmu.misses - f.misses);
    if (mmu.walkReferences !== f.walkReferences) l.add(c.walkReferences, mmu.walkReferences - f.walkReferences);
    f.nonRoot = this.retiredNonRoot;
    f.hits = mmu.hits;
    f.misses = mmu.misses;
    f.walkReferences = mmu.walkReferences;
  }

  /** Everything counted and priced so far (a snapshot). */
  snapshot(): LedgerSnapshot {
    this.sync();
    return this.ledger.snapshot();
  }

  // ---- memory access at the current privilege ---------------------------------------
  /** Read a 32-bit word at linear address `va`. */
  read32(va: number): number {
    return this.orThrow(this.tryRead32(va));
  }

  /** Write a 32-bit word at linear address `va`. */
  write32(va: number, v: number): void {
    this.orThrow(this.tryWrite32(va, v));
  }

  /** Read a byte at linear address `va`. */
  read8(va: number): number {
    return this.orThrow(this.tryRead8(va));
  }

  /** Write a byte at linear address `va`. */
  write8(va: number, v: number): void {
    this.orThrow(this.tryWrite8(va, v));
  }

  /** `v`, what a try accessor returned, unless it left a page fault: then throw that. */
  private orThrow<T>(v: T): T {
    if (this.mmu.fault !== null) throw this.mmu.takeFault();
    return v;
  }

  /**
   * {@link Cpu.read32} for the engines' slow paths, with a page fault left in `mmu.fault`
   * (the word read is then 0) for the caller to raise without a throw, which costs
   * microseconds of host time. Other faults, and reads straddling two pages, throw.
   */
  tryRead32(va: number): number {
    const user = this.cpl === 3;
    if ((va & 0xfff) > 0xffc) return this.readBytes(va, 4, user);
    const pa = this.mmu.lookup(va, Access.read, user);
    return pa < 0 ? 0 : this.memory.read32(pa);
  }

  /** {@link Cpu.write32} with a page fault left in `mmu.fault` (nothing is written): see tryRead32. */
  tryWrite32(va: number, v: number): void {
    const user = this.cpl === 3;
    if ((va & 0xfff) > 0xffc) {
      // translate both pages before writing either, so a fault leaves memory unchanged
      const p0 = this.mmu.translate(va, Access.write, user);
      const p1 = this.mmu.translate((va + 3) | 0, Access.write, user);
      const page0 = (va >>> 12) | 0;
      for (let i = 0; i < 4; i++) {
        const a = (va + i) | 0;
        const pa = (a >>> 12) === page0 >>> 0 ? p0 + i : (p1 & ~0xfff) + (a & 0xfff);
        this.memory.u8[pa >>> 0] = v >>> (8 * i);
      }
      return;
    }
    const pa = this.mmu.lookup(va, Access.write, user);
    if (pa >= 0) this.memory.write32(pa, v);
  }

  /** {@link Cpu.read8} with a page fault left in `mmu.fault` (the byte read is then 0): see tryRead32. */
  tryRead8(va: number): number {
    const pa = this.mmu.lookup(va, Access.read, this.cpl === 3);
    return pa < 0 ? 0 : this.memory.u8[pa];
  }

  /** {@link Cpu.write8} with a page fault left in `mmu.fault` (nothing is written): see tryRead32. */
  tryWrite8(va: number, v: number): void {
    const pa = this.mmu.lookup(va, Access.write, this.cpl === 3);
    if (pa >= 0) this.memory.u8[pa] = v;
  }

  private readBytes(va: number, n: number, user: boolean): number {
    let v = 0;
    for (let i = 0; i < n; i++) v |= this.memory.u8[this.mmu.translate((va + i) | 0, Access.read, user)] << (8 * i);
    return v;
  }

  /** Push a word on the current stack. */
  push(v: number): void {
    const sp = (this.regs[15] - 4) | 0;
    this.write32(sp, v);
    this.regs[15] = sp;
  }

  /** Pop a word from the current stack. */
  pop(): number {
    const v = this.read32(this.regs[15]);
    this.regs[15] = (this.regs[15] + 4) | 0;
    return v;
  }

  // ---- control registers, ports -----------------------------------------------------
  /** Write a control register with its side effects (the instruction's work, after checks). */
  writeControlRegister(n: number, v: number): void {
    const before = this.cr[n];
    this.cr[n] = v;
    this.events.emit({ kind: 'control-register-write', t: this.time, cr: n, value: v });
    if (n === 0) {
      this.mmu.paging = (v & CR0_PG) !== 0;
      if (((before ^ v) & CR0_PG) !== 0) {
        this.mmu.flush();
        this.events.emit({ kind: 'tlb-flush', t: this.time, cause: 'paging-toggle' });
      }
    } else if (n === 3) {
      this.mmu.root = v;
      this.mmu.flush();
      this.events.emit({ kind: 'tlb-flush', t: this.time, cause: 'cr3-write' });
    } else if (n === 8) {
      this.interruptCheck = true;
    }
  }

  /**
   * Read an I/O port: this CPU's local interrupt controller and timer, else a shared device.
   * Unknown ports read all ones. `emulated`: a VMM's device model serves the guest's access
   * in software (no hardware port access happens).
   */
  portRead(port: number, emulated = false): number {
    let v: number;
    if (port === Port.picMask) v = this.pic.mask;
    else if (port === Port.timerPeriod) v = this.timer.ticks;
    else v = this.platform.portRead(port);
    this.events.emit({ kind: 'io', t: this.time, port, direction: 'in', value: v, emulated });
    return v;
  }

  /** Write an I/O port (local or shared device). Unknown ports ignore writes. `emulated` as for portRead. */
  portWrite(port: number, v: number, emulated = false): void {
    // the measured region excludes the marker writes themselves: it ends before the closing one
    if (port === Port.regionMarker && v !== 1) this.events.emit({ kind: 'region', t: this.time, mark: 'end' });
    // the ICR is the local APIC's register, not port I/O (an x2APIC MSR write): its IPIs are priced (ipis.sent)
    if (port !== Port.icr || emulated) this.events.emit({ kind: 'io', t: this.time, port, direction: 'out', value: v, emulated });
    // an emulated access that reaches hardware: the host still does the device's work
    const backEnd = emulated ? (BACK_END_WRITES[port] ?? 0) : 0;
    if (backEnd > 0) this.ledger.tally('io.backend', port, backEnd);
    switch (port) {
      case Port.picCommand:
        this.pic.endOfInterrupt();
        break;
      case Port.picMask:
        this.pic.setMask(v);
        break;
      case Port.timerPeriod:
        this.timer.program(v, this.now(), this.cyclesPerMicrosecond);
        this.reschedule();
        break;
      case Port.icr:
        this.platform.sendIpi(this, v);
        break;
      default:
        this.platform.portWrite(port, v, this);
    }
  }

  // ---- run control ------------------------------------------------------------------
  /** End the run after the current instruction. */
  stop(reason: StopReason): void {
    if (this.stopReason === null) this.stopReason = reason;
    this.checkpoint = this.time;
  }

  /** Recompute when the loop must next look at devices or the budget. */
  reschedule(): void {
    this.checkpoint = Math.min(this.cycleLimit, this.turnEnd, this.clockAt(this.timer.deadline), this.clockAt(this.platform.disk.deadline));
    this.interruptCheck = true; // end the current burst so it sees the new checkpoint
  }

  /** Let devices catch up to the current time. */
  serviceDevices(): void {
    const now = this.now();
    if (this.timer.due(now) > 0) this.pic.raise(Irq.timer);
    this.platform.serviceDevices(now);
    this.reschedule();
  }

  /** The interrupt vector deliverable now, or -1 (IF, the STI shadow and the TPR apply). */
  pendingInterrupt(): number {
    if ((this.flags & Flag.IF) === 0 || this.interruptShadow || this.waitingForStartup) return -1;
    const v = this.pic.deliverable();
    if (v < 0 || !aboveTaskPriority(v, this.cr[8])) return -1;
    return v;
  }

  /** Enter non-root mode with the VMCS's guest state (VM entry); an injected event is delivered when the CPU runs. */
  vmEnter(vmcs: Vmcs): void {
    enterGuest(this, vmcs);
  }

  /** The INT or VMCALL that trapped to the monitor retires, now that the monitor returned. */
  retireTrapped(): void {
    if (this.trappedCpl < 0) return;
    this.retiredByRing[this.trappedCpl]++;
    this.trappedCpl = -1;
    this.sync();
  }

  /** Run bare metal (no VMM) until the CPU stops or a budget (instructions, cycles) runs out. */
  run(maxInstructions = Infinity, maxCycles = Infinity): StopReason {
    return runVcpu(this, null, { maxInstructions, maxCycles });
  }

  /** INIT: the CPU stops and waits for a start-up IPI (x86 wait-for-SIPI). */
  init(): void {
    this.waitingForStartup = true;
    this.pendingStartup = null;
    this.halted = true;
    this.interruptCheck = true;
  }

  /** A start-up IPI with this start address: taken when the CPU next runs, if it waits for one (ignored otherwise, as on x86). */
  startup(pc: number): void {
    if (!this.waitingForStartup) return;
    this.pendingStartup = pc;
    this.interruptCheck = true;
    this.host?.kick();
  }

  /** Reset to run from `pc` in ring 0 with paging off and interrupts disabled (a start-up IPI on bare metal). */
  resetAt(pc: number): void {
    this.regs.fill(0);
    this.cr.fill(0);
    this.mmu.paging = false;
    this.mmu.flush();
    this.pc = pc;
    this.cpl = 0;
    this.flags = 0;
    this.halted = false;
    this.waitingForStartup = false;
    this.pendingStartup = null;
    this.interruptCheck = true;
  }

  /** Raise an interrupt line of the local controller (devices, tests, virtual devices). */
  raiseIrq(line: number): void {
    this.pic.raise(line);
    this.host?.kick();
  }

  /** End the current run after this exit or instruction, for the host to act (see HostYield). */
  yieldToHost(why: HostYield): void {
    this.hostYield = why;
    this.checkpoint = Math.min(this.checkpoint, this.time);
  }
}
