/**
 * The hypervisor: it owns ring 0 (installed as the machine's monitor, so every trap reaches
 * it before any guest table), the guest kernel runs in ring 1 and its processes in ring 3.
 * It handles four kinds of trap, one handler each:
 * - `vmcall`: a hypercall, dispatched through the hypercall table; on the way back pending
 *   unmasked events are delivered;
 * - `exception`: a write to a write-protected page-table page that is no longer in use is
 *   resolved here (direct-paging.ts); anything else is bounced to the handler the guest
 *   registered with `set_trap_table`;
 * - `software-interrupt`: `int n` from the guest, bounced like any trap. With fast system
 *   calls the system-call gate is in the real IDT (ring 1, DPL 3, `directVectors`), so the
 *   hardware delivers `int 0x80` straight to the guest kernel and the hypervisor is not
 *   entered; it only sees the hardware's event and counts a direct system call;
 * - `interrupt`: a real device interrupt: acknowledged at the interrupt controller, turned
 *   into a pending event bit and delivered by upcall when the guest has events unmasked.
 *
 * Every entry is counted in the CPU's ledger (counters.ts): hypercalls by operation, traps by cause,
 * upcalls, direct system calls, validation failures.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

import type { MonitorControls, Trap, VcpuHandler } from '../../core/cpu/exit';
import { gateFlags, GATE_SIZE, HAS_ERROR_CODE } from '../../core/cpu/idt';
import { IcrMode, IcrShorthand, icrValue, Irq, IRQ_BASE, Port } from '../../core/devices/ports';
import { CR0_PG, Flag, Vector } from '../../core/isa/table';
import { PfError } from '../../core/mmu/pte';
import type { DirectPager, Refusal } from './direct-paging';
import type { VirtualInterrupts } from './events';
import { GuestView } from './guest-access';
import { Errno, SharedInfo, SYSCALL_VECTOR, TrapEntryFlags, type TrapEntry } from './guest-abi';
import { HYPERCALL_BY_NUMBER, invoke, type Args, type HypercallOutcome, type HypervisorServices } from './hypercall-table';
import { IDT_LINEAR, type HypervisorMemory } from './hypervisor-memory';
import { bounceToGuest, type Bounce } from './trap-bounce';
import { flushTlb, VMM_IPI_LINE, vmmIpi } from '../shared/vmm-ipi';
import { exceptionDetail, intDetail } from '../../core/cost/detail-names';

/** Options of the hypervisor. */
export interface HypervisorOptions {
  /** install the system-call gate in the real IDT for direct delivery */
  readonly fastSyscall: boolean;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** A trap handler. */
type TrapHandler<K extends Trap['kind']> = (hv: Hypervisor, t: Extract<Trap, { kind: K }>) => void;

/** One handler per kind of trap. */
const TRAP_HANDLERS: { readonly [K in Trap['kind']]: TrapHandler<K> } = {
  vmcall: (hv, t) => {
    if (hv.m.cpl === 3) {
      // hypercalls are for the guest kernel only: from user mode vmcall is what it is natively, #UD
      hv.m.ledger.tally('traps', 'user vmcall');
      hv.bounceException(Vector.invalidOpcode, 0, t.pc);
      return;
    }
    hv.hypercall(t.nextPc);
  },
  exception: (hv, t) => {
    const protectionWrite = PfError.present | PfError.write;
    if (t.vector === Vector.pageFault && (t.errorCode & protectionWrite) === protectionWrite) {
      const verdict = hv.pager.writeFault(t.faultAddress);
      if (verdict.kind === 'released') {
        hv.m.ledger.tally('traps', 'page-table release');
        hv.m.pc = t.pc; // the write retries on a data page
        return;
      }
    }
    hv.m.ledger.tally('traps', t.vector === Vector.pageFault ? 'page fault' : exceptionDetail(t.vector));
    if (t.vector === Vector.pageFault) hv.m.memory.write32(hv.interrupts.info.cr2, t.faultAddress);
    hv.bounceException(t.vector, t.errorCode, t.pc);
  },
  'software-interrupt': (hv, t) => {
    hv.m.ledger.tally('traps', intDetail(t.vector));
    const e = hv.trapTable.get(t.vector);
    if (e === undefined || (e.flags & TrapEntryFlags.dplMask) < hv.m.cpl) {
      // natively: a gate the caller may not use is a #GP naming the vector
      hv.bounceException(Vector.generalProtection, t.vector * 8 + 2, t.pc);
      return;
    }
    hv.bounce({ handler: e.handler, returnPc: t.nextPc, maskEvents: (e.flags & TrapEntryFlags.keepEventsUnmasked) === 0 }, t.vector);
  },
  sysenter: (hv, t) => {
    hv.m.ledger.tally('traps', 'sysenter');
    // as natively with no entry point (cr10 = 0), #GP
    if (hv.sysenterEntry === 0) hv.bounceException(Vector.generalProtection, 0, t.pc);
    else hv.enterSysenter();
  },
  interrupt: (hv, t) => {
    hv.m.ledger.tally('traps', 'interrupt');
    const m = hv.m;
    m.portWrite(Port.picCommand, 0); // the hypervisor's own end of interrupt
    const irq = t.vector - IRQ_BASE;
    if (irq === Irq.block) m.memory.write32(SharedInfo.blockStatus, m.portRead(Port.blockCommand));
    hv.interrupts.raise(irq);
    m.pc = t.pc;
    hv.deliverEvents(t.pc);
  },
};

/** The vCPUs of one paravirtual guest and their hypervisor contexts, by index. */
export interface Domain {
  readonly vcpus: readonly Cpu[];
  readonly hypervisors: Hypervisor[];
}

/** Put a vCPU in the guest kernel at `pc`: ring 1, page directory `base`, events masked, the real IF on. */
export const enterGuestKernel = (hv: Hypervisor, pc: number, base: number): void => {
  const m = hv.m;
  m.monitor = hv;
  // a signed word, as LIDT leaves the register (the unsigned address would make the field a
  // heap number, changing the shape of every CPU of the process and deoptimizing code built for it)
  m.idtBase = IDT_LINEAR | 0;
  m.pic.setMask(~GUEST_IRQ_LINES & 0xff);
  hv.interrupts.setMasked(true);
  m.flags = Flag.IF; // the real IF stays on: the guest's is the event mask
  m.cpl = 1;
  m.pc = pc;
  m.cr[0] |= CR0_PG;
  m.cr[3] = base;
  m.mmu.root = base;
  m.mmu.paging = true;
  m.mmu.flush();
};

/** The real IRQ lines a vCPU takes: the timer, the disk, and the guest's two IPI lines (reschedule, request). */
export const GUEST_IRQ_LINES = (1 << Irq.timer) | (1 << Irq.block) | (1 << 3) | (1 << 4);

/** The paravirtual hypervisor of one guest. */
export class Hypervisor implements VcpuHandler, MonitorControls, HypervisorServices {
  /** the guest's virtual trap table (`set_trap_table`) */
  readonly trapTable = new Map<number, TrapEntry>();
  /** vectors whose gate is installed in the real IDT for direct delivery (the hardware's monitor controls) */
  readonly directVectors = new Set<number>();
  /** the ring-1 stack for traps and events from ring 3 (`stack_switch`) */
  kernelStack = 0;
  /** where SYSENTER enters the guest kernel (`set_sysenter`); 0 = none */
  sysenterEntry = 0;
  /** the most recent refused request, for diagnostics and tests */
  lastRefusal: string | null = null;
  /** refused requests so far (at most the first 100, for diagnostics) */
  readonly refusals: string[] = [];
  readonly guest: GuestView;

  constructor(
    readonly m: Cpu,
    /** every vCPU of the guest and its hypervisor context (index = CPU index) */
    readonly domain: Domain,
    readonly guestMemoryBytes: number,
    readonly pager: DirectPager,
    readonly interrupts: VirtualInterrupts,
    readonly memory: HypervisorMemory,
    readonly options: HypervisorOptions,
  ) {
    this.guest = new GuestView(m, guestMemoryBytes);
    m.events.listen((e) => {
      if (e.kind === 'software-interrupt' && this.directVectors.has(e.vector)) m.ledger.count('directSyscalls');
    });
  }

  /** The trap entry point: every trap of the CPU but the direct system calls. */
  onTrap(trap: Trap): void {
    this.pager.use(this.m);
    (TRAP_HANDLERS[trap.kind] as TrapHandler<Trap['kind']>)(this, trap);
  }

  /** A vCPU brought up by another's `vcpu_up`: ring 1 at `pc`, on the page directory that vCPU had loaded, events masked. */
  onStartup(pc: number): void {
    enterGuestKernel(this, pc, this.startBase ?? this.pager.base);
  }

  /** the page directory a `vcpu_up` asked this vCPU to start on */
  startBase: number | null = null;

  /** `send_ipi`: the hypervisor's physical IPI to the target vCPU's CPU, whose hypervisor turns it into an event there. */
  sendIpi(index: number, line: number): Refusal | null {
    const t = this.domain.vcpus[index];
    if (t === undefined) return { errno: Errno.EINVAL, why: `no vCPU ${index} (the guest has ${this.domain.vcpus.length})` };
    this.m.platform.sendIpi(this.m, icrValue(IcrMode.fixed, line, IcrShorthand.none, t.cpuId));
    return null;
  }

  /** `vcpu_up`: start a vCPU that waits since boot at `entry`, on the caller's page directory. */
  startVcpu(index: number, entry: number): Refusal | null {
    const t = this.domain.vcpus[index];
    const hv = this.domain.hypervisors[index];
    if (t === undefined || hv === undefined) return { errno: Errno.EINVAL, why: `no vCPU ${index} (the guest has ${this.domain.vcpus.length})` };
    if (!t.waitingForStartup || t.pendingStartup !== null) return { errno: Errno.EBUSY, why: `vCPU ${index} is already up` };
    hv.startBase = this.m.mmu.root;
    t.startup(entry);
    return null;
  }

  /**
   * \`tlb_flush_multi\`: drop page \`va\` (every entry if -1) from the TLBs of the vCPUs in
   * \`mask\` (Xen's mmuext_op TLB_FLUSH_MULTI / INVLPG_MULTI): the hypervisor's IPI to each
   * other CPU, whose hypervisor flushes; done when the call returns.
   */
  flushOthers(mask: number, va: number): Refusal | null {
    const vcpus = this.domain.vcpus;
    if (mask >>> vcpus.length !== 0) return { errno: Errno.EINVAL, why: `mask ${hex(mask)} names vCPUs the guest does not have (it has ${vcpus.length})` };
    let remote = false;
    for (const t of vcpus) {
      if ((mask & (1 << t.index)) === 0) continue;
      remote ||= t !== this.m;
      if (t !== this.m) {
        // the IPI, and its delivery into the hypervisor on the target (entry and return), as a native shootdown's
        vmmIpi(this.m, t);
        t.events.emit({ kind: 'interrupt', t: t.time, vector: IRQ_BASE + VMM_IPI_LINE, pc: t.pc, cpl: 0 });
        t.events.emit({ kind: 'iret', t: t.time, fromCpl: 0, toCpl: t.cpl });
      }
      flushTlb(t, va === -1 ? null : va);
      this.m.ledger.count('remoteFlushes');
    }
    if (remote) {
      // Xen's flush_tlb_mask waits until every target has flushed in its IPI handler
      this.m.ledger.count('remoteFlushes.waits');
      this.m.ledger.count('remoteFlushes.waitReturns');
    }
    return null;
  }

  /** Run the hypercall in r1 with arguments r2..r5; the guest resumes at `nextPc`. */
  hypercall(nextPc: number): void {
    const m = this.m;
    const n = m.regs[1];
    const row = HYPERCALL_BY_NUMBER.get(n);
    this.m.ledger.tally('hypercalls', row?.name ?? 'unknown');
    const args: Args = [m.regs[2], m.regs[3], m.regs[4], m.regs[5]];
    let out: HypercallOutcome;
    if (row === undefined) {
      this.m.ledger.count('hypercalls.validationFailures');
      this.noteRefusal(`unknown hypercall ${n}`);
      out = { kind: 'refused', errno: Errno.ENOSYS, why: `unknown hypercall ${n}` };
    } else out = invoke(this, row, args, nextPc);
    switch (out.kind) {
      case 'return':
        m.regs[1] = out.value;
        break;
      case 'refused':
        m.regs[1] = out.errno;
        break;
      case 'resumed':
        return;
    }
    m.pc = nextPc;
    this.deliverEvents(nextPc);
  }

  /** Deliver pending, unmasked events by upcall; the guest resumes at `returnPc` afterwards. */
  deliverEvents(returnPc: number): void {
    if (this.m.stopReason !== null || !this.interrupts.deliverable()) return;
    const bits = this.interrupts.take();
    this.m.ledger.count('upcalls');
    this.bounce({ handler: this.interrupts.callback, returnPc, errorCode: bits, maskEvents: true }, 'upcall');
  }

  /** Bounce an exception to the guest's registered handler. */
  bounceException(vector: number, errorCode: number, pc: number): void {
    const e = this.trapTable.get(vector);
    if (e === undefined) {
      // Xen crashes a domain that cannot take its own fault
      this.m.stop({ kind: 'triple-fault', pc, detail: `paravirt: the guest registered no handler for exception ${vector} at ${hex(pc)} (ring ${this.m.cpl})` });
      return;
    }
    const b: Bounce = {
      handler: e.handler,
      returnPc: pc,
      errorCode: HAS_ERROR_CODE.has(vector) ? errorCode : undefined,
      maskEvents: (e.flags & TrapEntryFlags.keepEventsUnmasked) === 0,
    };
    this.bounce(b, vector);
  }

  /** Enter the guest kernel; a guest that cannot be entered is stopped with the reason. */
  bounce(b: Bounce, what: number | string): void {
    this.m.ledger.tally('injections', what);
    this.m.ledger.tally('bounces', what);
    const out = bounceToGuest(this.m, this.guest, this.interrupts, this.kernelStack, b);
    if (!out.ok) this.m.stop({ kind: 'triple-fault', pc: b.returnPc, detail: `paravirt: cannot deliver ${typeof what === 'number' ? `vector ${what}` : what} to the guest: ${out.why}` });
  }

  /** Add or replace virtual trap-table entries; the system-call gate goes to the real IDT when allowed. */
  setTraps(entries: readonly TrapEntry[]): void {
    for (const e of entries) {
      this.trapTable.set(e.vector, e);
      if (e.vector === SYSCALL_VECTOR) this.installDirectGate(e);
    }
  }

  /**
   * A system-call entry may be delivered by the hardware straight to ring 1 (Barham et al.:
   * "fast exception handlers") when fast system calls are on, the entry is open to ring 3
   * and keeps events unmasked (the hardware cannot set the mask); otherwise the gate stays
   * absent and every `int 0x80` is bounced.
   */
  private installDirectGate(e: TrapEntry): void {
    const gate = this.memory.idt + e.vector * GATE_SIZE;
    const direct =
      this.options.fastSyscall && (e.flags & TrapEntryFlags.dplMask) === 3 && (e.flags & TrapEntryFlags.keepEventsUnmasked) !== 0;
    this.m.memory.write32(gate, direct ? e.handler : 0);
    this.m.memory.write32(gate + 4, direct ? gateFlags({ dpl: 3, ring: 1, trap: true }) : 0);
    if (direct) this.directVectors.add(e.vector);
    else this.directVectors.delete(e.vector);
  }

  /** `set_sysenter`: where SYSENTER enters the guest kernel (0: nowhere). */
  setSysenterEntry(entry: number): void {
    this.sysenterEntry = entry;
  }

  /**
   * SYSENTER into the guest kernel's registered entry, as the hardware enters cr10 natively:
   * no frame, registers as they were, ring 1 on the `stack_switch` stack (cr11's role),
   * events masked (IF cleared); the arithmetic flags are kept. It builds no frame, so its
   * price is the trap's round trip (traps), as SYSENTER's natively is the instruction's.
   */
  enterSysenter(): void {
    const m = this.m;
    m.cpl = 1;
    m.regs[15] = this.kernelStack;
    m.pc = this.sysenterEntry;
    m.next = this.sysenterEntry;
    this.interrupts.setMasked(true);
  }

  /** Set the ring-1 stack for traps from ring 3: the hypervisor's and the hardware's (the TSS's ring-1 stack). */
  setKernelStack(sp: number): void {
    this.kernelStack = sp;
    this.m.cr[5] = sp;
  }

  /** Record a refused request. */
  noteRefusal(what: string): void {
    this.lastRefusal = what;
    if (this.refusals.length < 100) this.refusals.push(what);
  }
}
