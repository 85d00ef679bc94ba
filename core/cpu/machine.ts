/**
 * The machine: CPU state, physical memory, MMU, devices, the VMX-like extension, and the
 * reference interpreter's run loop. Instruction semantics live in core/cpu/semantics.ts,
 * exception and interrupt delivery in core/cpu/delivery.ts.
 * @category CPU
 */
import { BlockDevice } from '../devices/block';
import { Console } from '../devices/console';
import { InterruptController } from '../devices/pic';
import { Irq, Port } from '../devices/ports';
import { Timer } from '../devices/timer';
import { Ledger, NO_PRICES, type LedgerSnapshot, type PriceOf } from '../cost/ledger';
import { EventSink, MACHINE_COUNTERS } from '../events/events';
import { CR0_PG, Flag, IOPL_SHIFT, ISA, MNEMONICS } from '../isa/table';
import { privilegeOf, type IsaVariant } from '../isa/variant';
import { PhysicalMemory } from '../mmu/memory';
import { Mmu } from '../mmu/mmu';
import { Access } from '../mmu/pte';
import { Tlb } from '../mmu/tlb';
import type { VmExit } from '../vmx/exits';
import type { Vmcs } from '../vmx/vmcs';
import { deliver, deliverFault, offerToMonitor, type Trap } from './delivery';
import { GuestFault, VmExitSignal } from './fault';
import { interpret } from './interpreter';
import type { StopReason } from './stop';

/** Machine configuration. */
export interface MachineConfig {
  /** physical memory in bytes (multiple of 4096); default 8 MiB */
  readonly memoryBytes?: number;
  /** TLB entries (power of two); default 64 */
  readonly tlbEntries?: number;
  /** TLB associativity (power of two, at most the entries); default 4 (1 = direct-mapped) */
  readonly tlbWays?: number;
  /** ISA variant; default 'default' */
  readonly variant?: IsaVariant;
  /** block device size in sectors; default 256 */
  readonly diskSectors?: number;
  /** block request latency in time units; default 2000 */
  readonly diskLatency?: number;
  /** cycles per event of each cost key (a cost profile's); default: every event free */
  readonly prices?: PriceOf;
}

/**
 * A software monitor that owns ring 0 (trap-and-emulate, binary translation, paravirtual
 * hypervisors). When installed, every trap is offered to it before the guest's table; it
 * returns true when it handled the trap itself.
 */
export interface Monitor {
  onTrap(m: Machine, trap: Trap): boolean;
}

/** The VMM side of the VMX-like extension: called on every VM exit, in root mode. */
export type VmExitHandler = (m: Machine, exit: VmExit) => void;

const PRIV_NONE = 0;
const PRIV_KERNEL = 1;
const PRIV_IOPL = 2;

/** The machine and its reference interpreter. */
export class Machine {
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
  readonly memory: PhysicalMemory;
  readonly mmu: Mmu;
  readonly pic = new InterruptController();
  readonly timer = new Timer();
  readonly console = new Console();
  readonly disk: BlockDevice;
  /** counts and prices every event of this CPU */
  readonly ledger: Ledger;
  readonly events: EventSink;
  readonly variant: IsaVariant;
  /** per opcode: 0 none, 1 kernel, 2 IOPL-checked */
  readonly privilegeByOpcode: Uint8Array;

  // ---- virtualization ----------------------------------------------------------------
  /** software monitor owning ring 0, if any */
  monitor: Monitor | null = null;
  /** VMX non-root mode: the guest runs under `vmcs` */
  nonRoot = false;
  vmcs: Vmcs | null = null;
  /** the VMM's exit handler, called in root mode */
  vmExitHandler: VmExitHandler | null = null;
  /** counts of instructions retired in non-root mode */
  retiredNonRoot = 0;

  // ---- run state ---------------------------------------------------------------------
  /** machine time: instructions retired plus time spent halted */
  time = 0;
  /** instructions retired by CPL */
  readonly retiredByRing = new Float64Array(4);
  /** address of the instruction after the current one (jumps overwrite it) */
  next = 0;
  /** HLT is waiting for an interrupt */
  halted = false;
  /** the instruction after STI: interrupts are not recognised yet */
  interruptShadow = false;
  /** something may be deliverable: recheck before the next instruction */
  interruptCheck = false;
  /** set when the run must end */
  stopReason: StopReason | null = null;
  /** time at which the run loop must look at devices or the budget */
  checkpoint = Infinity;
  private budgetEnd = Infinity;

  constructor(config: MachineConfig = {}) {
    this.memory = new PhysicalMemory(config.memoryBytes ?? 8 * 1024 * 1024);
    this.mmu = new Mmu(this.memory, new Tlb(config.tlbEntries ?? 64, config.tlbWays ?? Math.min(4, config.tlbEntries ?? 64)));
    this.disk = new BlockDevice(config.diskSectors ?? 256, config.diskLatency ?? 2000);
    this.variant = config.variant ?? 'default';
    this.ledger = new Ledger(config.prices ?? NO_PRICES, [MACHINE_COUNTERS]);
    this.events = new EventSink(this.ledger);
    this.privilegeByOpcode = new Uint8Array(256);
    for (const m of MNEMONICS) {
      const p = privilegeOf(m, this.variant);
      this.privilegeByOpcode[ISA[m].opcode] = p === 'none' ? PRIV_NONE : p === 'kernel' ? PRIV_KERNEL : PRIV_IOPL;
    }
    this.pic.onChange = () => {
      this.interruptCheck = true;
    };
  }


  /** Load an image into physical memory. */
  load(address: number, bytes: Uint8Array): void {
    this.memory.load(address, bytes);
  }

  /** The IOPL field of the flags. */
  get iopl(): number {
    return (this.flags >>> IOPL_SHIFT) & 3;
  }

  /** What the interpreter and the MMU counted in place, as already folded into the ledger. */
  private readonly folded = { byRing: new Float64Array(4), nonRoot: 0, hits: 0, misses: 0, walkReferences: 0 };

  /** Fold the counts kept in place (instructions, TLB lookups, walk references) into the ledger. */
  sync(): void {
    const f = this.folded;
    const l = this.ledger;
    for (let r = 0; r < 4; r++) {
      const d = this.retiredByRing[r] - f.byRing[r];
      if (d !== 0) l.tally('instructions', r, d);
      f.byRing[r] = this.retiredByRing[r];
    }
    const mmu = this.mmu;
    if (this.retiredNonRoot !== f.nonRoot) l.count('instructions.nonRoot', this.retiredNonRoot - f.nonRoot);
    if (mmu.hits !== f.hits) l.count('tlb.hits', mmu.hits - f.hits);
    if (mmu.misses !== f.misses) l.count('tlb.misses', mmu.misses - f.misses);
    if (mmu.walkReferences !== f.walkReferences) l.count('tlb.walkReferences', mmu.walkReferences - f.walkReferences);
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

  /** Total instructions retired. */
  get instructions(): number {
    const r = this.retiredByRing;
    return r[0] + r[1] + r[2] + r[3];
  }

  // ---- memory access at the current privilege ---------------------------------------
  /** Read a 32-bit word at linear address `va`. */
  read32(va: number): number {
    const user = this.cpl === 3;
    if ((va & 0xfff) > 0xffc) return this.readBytes(va, 4, user);
    return this.memory.read32(this.mmu.translate(va, Access.read, user));
  }

  /** Write a 32-bit word at linear address `va`. */
  write32(va: number, v: number): void {
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
    this.memory.write32(this.mmu.translate(va, Access.write, user), v);
  }

  /** Read a byte at linear address `va`. */
  read8(va: number): number {
    return this.memory.u8[this.mmu.translate(va, Access.read, this.cpl === 3)];
  }

  /** Write a byte at linear address `va`. */
  write8(va: number, v: number): void {
    this.memory.u8[this.mmu.translate(va, Access.write, this.cpl === 3)] = v;
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
   * Read an I/O port (device side). Unknown ports read all ones. `emulated`: a VMM's device
   * model serves the guest's access in software (no hardware port access happens).
   */
  portRead(port: number, emulated = false): number {
    let v: number;
    switch (port) {
      case Port.picMask:
        v = this.pic.mask;
        break;
      case Port.timerPeriod:
        v = this.timer.ticks;
        break;
      case Port.blockSector:
        v = this.disk.sector;
        break;
      case Port.blockAddress:
        v = this.disk.address;
        break;
      case Port.blockCommand:
        v = this.disk.status;
        break;
      case Port.consoleStatus:
        v = 1;
        break;
      default:
        v = -1;
    }
    this.events.emit({ kind: 'io', t: this.time, port, direction: 'in', value: v, emulated });
    return v;
  }

  /** Write an I/O port (device side). Unknown ports ignore writes. `emulated` as for portRead. */
  portWrite(port: number, v: number, emulated = false): void {
    // the measured region excludes the marker writes themselves: it ends before the closing one
    if (port === Port.regionMarker && v !== 1) this.events.emit({ kind: 'region', t: this.time, mark: 'end' });
    this.events.emit({ kind: 'io', t: this.time, port, direction: 'out', value: v, emulated });
    switch (port) {
      case Port.picCommand:
        this.pic.endOfInterrupt();
        break;
      case Port.picMask:
        this.pic.setMask(v);
        break;
      case Port.timerPeriod:
        this.timer.program(v, this.time);
        this.reschedule();
        break;
      case Port.blockSector:
        this.disk.sector = v;
        break;
      case Port.blockAddress:
        this.disk.address = v;
        break;
      case Port.blockCommand:
        this.disk.start(v, this.time);
        this.reschedule();
        break;
      case Port.consoleData:
        this.console.put(v);
        break;
      case Port.regionMarker:
        if (v === 1) this.events.emit({ kind: 'region', t: this.time, mark: 'start' });
        break;
      case Port.power:
        this.stop({ kind: 'shutdown', exitCode: v });
        break;
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
    this.checkpoint = Math.min(this.budgetEnd, this.timer.deadline, this.disk.deadline);
    this.interruptCheck = true; // end the current burst so it sees the new checkpoint
  }

  /** Let devices catch up to the current time. */
  private serviceDevices(): void {
    if (this.timer.due(this.time) > 0) this.pic.raise(Irq.timer);
    if (this.time >= this.disk.deadline) {
      this.disk.complete(this.memory.u8);
      this.pic.raise(Irq.block);
    }
    this.reschedule();
  }

  /** The interrupt vector deliverable now, or -1 (IF, the STI shadow and the TPR apply). */
  pendingInterrupt(): number {
    if ((this.flags & Flag.IF) === 0 || this.interruptShadow) return -1;
    const v = this.pic.deliverable();
    if (v < 0 || v >> 4 <= (this.cr[8] & 15)) return -1;
    return v;
  }

  /** Enter non-root mode with the VMCS's guest state (VM entry). */
  vmEnter(vmcs: Vmcs): void {
    const g = vmcs.guest;
    this.vmcs = vmcs;
    this.regs.set(g.regs);
    this.pc = g.pc;
    this.flags = g.flags;
    this.cpl = g.cpl;
    this.cr.set(g.cr);
    this.idtBase = g.idtBase;
    this.mmu.paging = (g.cr[0] & CR0_PG) !== 0;
    this.mmu.root = g.cr[3];
    this.mmu.nestedRoot = vmcs.nestedRoot ?? -1;
    this.switchTlb(vmcs, 'guest');
    this.nonRoot = true;
    this.halted = vmcs.activityHalted;
    vmcs.activityHalted = false;
    this.interruptCheck = true;
    this.events.emit({ kind: 'vm-entry', t: this.time });
    const inj = vmcs.injection;
    vmcs.injection = null;
    if (inj) {
      deliver(this, {
        vector: inj.vector,
        errorCode: inj.errorCode,
        returnPc: this.pc,
        software: inj.type === 'software',
      });
    }
  }

  private rootTlb: Tlb | null = null;
  private guestTlb: Tlb | null = null;

  /** On a VM transition: swap tagged TLBs (VPID) or flush. */
  private switchTlb(vmcs: Vmcs, to: 'guest' | 'root'): void {
    if (!vmcs.vpid) {
      this.mmu.flush();
      this.events.emit({ kind: 'tlb-flush', t: this.time, cause: 'vm-transition' });
      return;
    }
    this.rootTlb ??= this.mmu.tlb;
    this.guestTlb ??= new Tlb(this.rootTlb.size, this.rootTlb.ways);
    this.mmu.useTlb(to === 'guest' ? this.guestTlb : this.rootTlb);
  }

  /** Leave non-root mode: save guest state in the VMCS and call the VMM's exit handler. */
  vmExit(exit: VmExit): void {
    const vmcs = this.vmcs;
    if (!vmcs) throw new Error('internal error: VM exit outside non-root mode');
    const g = vmcs.guest;
    g.regs.set(this.regs);
    g.pc = this.pc;
    g.flags = this.flags;
    g.cpl = this.cpl;
    g.cr.set(this.cr);
    g.idtBase = this.idtBase;
    this.nonRoot = false;
    this.mmu.nestedRoot = -1;
    this.switchTlb(vmcs, 'root');
    this.events.emit({ kind: 'vm-exit', t: this.time, exit });
    if (this.vmExitHandler) this.vmExitHandler(this, exit);
    else this.stop({ kind: 'vm-exit-unhandled', exit });
    if (!this.nonRoot && this.stopReason === null)
      this.stop({ kind: 'stopped', detail: `the VMM did not resume the guest after a '${exit.reason}' exit` });
  }

  /**
   * Run until the machine stops or `maxInstructions` more instructions retire.
   * Returns why it stopped.
   */
  run(maxInstructions = Infinity): StopReason {
    this.stopReason = null;
    const start = this.instructions;
    this.budgetEnd = this.time + maxInstructions;
    this.reschedule();
    this.interruptCheck = true;
    while (this.stopReason === null) {
      try {
        this.step();
      } catch (e) {
        if (e instanceof GuestFault) deliverFault(this, e);
        else if (e instanceof VmExitSignal) this.vmExit(this.fillExitPc(e.exit));
        else throw e;
      }
      if (this.stopReason === null && this.time >= this.budgetEnd)
        this.stop({ kind: 'budget', instructions: this.instructions - start });
    }
    return this.stopReason;
  }

  private fillExitPc(exit: VmExit): VmExit {
    return exit.pc === 0 && exit.reason === 'ept-violation' ? { ...exit, pc: this.pc } : exit;
  }

  /** One turn of the outer loop: devices, interrupts, halt, then a burst of instructions. */
  private step(): void {
    if (this.time >= this.checkpoint) {
      if (this.time >= this.budgetEnd) return;
      this.serviceDevices();
    }
    if (this.interruptCheck) {
      this.interruptCheck = false;
      if (this.takeInterrupt()) return;
    }
    if (this.halted) {
      this.idle();
      return;
    }
    interpret(this);
  }

  /** Deliver a pending interrupt if one is deliverable; true if control changed. */
  private takeInterrupt(): boolean {
    if (this.nonRoot && this.vmcs) {
      const c = this.vmcs.controls;
      if (c.interruptWindowExiting && (this.flags & Flag.IF) !== 0 && !this.interruptShadow) {
        this.vmExit({ reason: 'interrupt-window', pc: this.pc });
        return true;
      }
      if (c.externalInterruptExiting && this.pic.deliverable() >= 0) {
        this.vmExit({ reason: 'external-interrupt', pc: this.pc });
        return true;
      }
    }
    const v = this.pendingInterrupt();
    if (v < 0) {
      if (this.interruptShadow) this.interruptCheck = true;
      return false;
    }
    this.pic.acknowledge(v);
    this.halted = false;
    const trap: Trap = { kind: 'interrupt', vector: v, pc: this.pc };
    if (offerToMonitor(this, trap)) return true;
    this.events.emit({ kind: 'interrupt', t: this.time, vector: v, pc: this.pc, cpl: this.cpl });
    deliver(this, { vector: v, returnPc: this.pc, software: false, external: true }, `interrupt ${v}`);
    return true;
  }

  /** HLT: let time pass until the next device event, or stop if none can come. */
  private idle(): void {
    const next = Math.min(this.timer.deadline, this.disk.deadline);
    const deliverable = (this.flags & Flag.IF) !== 0;
    if (!deliverable) {
      this.stop({ kind: 'halted', pc: (this.pc - 4) | 0 });
      return;
    }
    if (this.pic.deliverable() >= 0) {
      // an interrupt is pending but held back (TPR or in-service): wait for nothing
      if (next === Infinity) this.stop({ kind: 'idle', pc: (this.pc - 4) | 0 });
    }
    if (next === Infinity) {
      this.stop({ kind: 'idle', pc: (this.pc - 4) | 0 });
      return;
    }
    if (next >= this.budgetEnd) {
      this.time = this.budgetEnd;
      return;
    }
    this.time = Math.max(this.time, next);
    this.serviceDevices();
    this.interruptCheck = true;
  }

  /** Raise a device interrupt line from outside (tests, virtual devices). */
  raiseIrq(line: number): void {
    this.pic.raise(line);
  }
}
