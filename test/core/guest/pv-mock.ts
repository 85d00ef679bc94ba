/**
 * A minimal Xen-like hypervisor for the tests of the paravirtual kernel build: just enough
 * of the interface in core/guest/README.md to boot the kernel in ring 1 and run workloads.
 * It is a test double (no validation worth the name, no cost accounting), not the
 * `paravirt` strategy.
 */
import type { Cpu } from '../../../core/cpu/cpu';

import type { MonitorControls, Trap, VcpuHandler } from '../../../core/cpu/exit';
import { Flag } from '../../../core/isa/table';
import { Access } from '../../../core/mmu/pte';

const SHARED = 0x003ff000;
const SI_MASK = SHARED + 0;
const SI_PENDING = SHARED + 4;
const SI_CR2 = SHARED + 8;
const SI_BLOCK_STATUS = SHARED + 12;
const ARITH = Flag.CF | Flag.ZF | Flag.SF | Flag.OF;
const ERROR_CODE = new Set([8, 13, 14]);

/** The mock hypervisor; install with {@link MockHypervisor.install}. */
/** Linear address of the hypervisor's hypercall page (kernel/hypercalls.s HYPERCALL_PAGE). */
const HYPERCALL_PAGE = 0xffc01000;

export class MockHypervisor implements VcpuHandler {
  /** the hardware configuration: every trap goes to the mock */
  static readonly CONTROLS: MonitorControls = { directVectors: new Set() };
  /** registered traps: vector -> handler and flags */
  readonly traps = new Map<number, { handler: number; flags: number }>();
  callback = 0;
  kernelStack = 0;
  /** hypercalls by number */
  readonly hypercalls: Record<number, number> = {};
  /** page-table entries written through mmu_update */
  updates = 0;
  /** an internal failure (the kernel broke the interface) */
  failure: string | null = null;

  private constructor(readonly m: Cpu) {}

  /** Put the machine in the paravirtual reset state and install the hypervisor. */
  static install(m: Cpu): MockHypervisor {
    const h = new MockHypervisor(m);
    m.monitor = MockHypervisor.CONTROLS;
    m.cpl = 1;
    m.flags = Flag.IF; // the real IF stays on: the guest's is the event mask
    m.pic.setMask(0xfa);
    h.w32(SI_MASK, 1);
    return h;
  }

  private w32(pa: number, v: number): void {
    this.m.memory.write32(pa, v);
  }

  private r32(pa: number): number {
    return this.m.memory.read32(pa);
  }

  /** Read a word at a guest virtual address (supervisor). */
  private read(va: number): number {
    return this.m.memory.read32(this.m.mmu.translate(va, Access.read, false));
  }

  private fail(why: string): void {
    this.failure ??= why;
    this.m.stop({ kind: 'stopped', detail: `mock hypervisor: ${why}` });
  }

  onTrap(trap: Trap): void {
    const m = this.m;
    switch (trap.kind) {
      case 'vmcall':
        this.hypercall(trap.nextPc);
        return;
      case 'exception': {
        if (trap.vector === 14 && trap.pc >>> 0 === HYPERCALL_PAGE) {
          // the mock maps no hypercall page: a jump to its trap return takes the slow path,
          // the iret hypercall on [r1, pc, cs, flags, sp] (the error code slot dropped)
          const sp = m.regs[15];
          m.memory.write32(m.mmu.translate(sp + 4, Access.write, false), this.read(sp));
          m.regs[15] = sp + 4;
          m.regs[1] = 15;
          this.hypercall(trap.pc);
          return;
        }
        if (trap.vector === 14) this.w32(SI_CR2, trap.faultAddress);
        const t = this.traps.get(trap.vector);
        if (t === undefined) {
          this.fail(`unregistered exception ${trap.vector} at 0x${trap.pc.toString(16)} (ring ${m.cpl}): ${trap.detail}`);
          return;
        }
        this.enter(t.handler, trap.pc, ERROR_CODE.has(trap.vector) ? trap.errorCode : undefined, (t.flags & 4) === 0);
        return;
      }
      case 'software-interrupt': {
        const t = this.traps.get(trap.vector);
        if (t === undefined || (t.flags & 3) < m.cpl) {
          const gp = this.traps.get(13)!;
          this.enter(gp.handler, trap.pc, trap.vector * 8 + 2, true);
        } else this.enter(t.handler, trap.nextPc, undefined, (t.flags & 4) === 0);
        return;
      }
      case 'interrupt': {
        m.pic.endOfInterrupt();
        const irq = trap.vector - 0x20;
        if (irq === 2) this.w32(SI_BLOCK_STATUS, m.platform.disk.status);
        this.w32(SI_PENDING, this.r32(SI_PENDING) | (1 << irq));
        m.pc = trap.pc;
        this.deliverEvents(trap.pc);
        return;
      }
    }
  }

  /** Push a trap frame on the ring-1 stack and enter `handler`. */
  private enter(handler: number, returnPc: number, errorCode: number | undefined, mask: boolean): void {
    const m = this.m;
    let sp = m.cpl === 3 ? this.kernelStack : m.regs[15];
    const virtualIf = this.r32(SI_MASK) === 0 ? Flag.IF : 0;
    const words = [m.regs[15], (m.flags & ~Flag.IF) | virtualIf, m.cpl, returnPc];
    if (errorCode !== undefined) words.push(errorCode);
    for (const w of words) {
      sp = (sp - 4) | 0;
      m.memory.write32(m.mmu.translate(sp, Access.write, false), w);
    }
    m.cpl = 1;
    m.regs[15] = sp;
    m.pc = handler;
    if (mask) this.w32(SI_MASK, 1);
  }

  /** Deliver pending events if unmasked; the guest resumes at `pc` otherwise. */
  private deliverEvents(pc: number): void {
    const pending = this.r32(SI_PENDING);
    if (pending === 0 || this.r32(SI_MASK) !== 0 || this.callback === 0) return;
    this.w32(SI_PENDING, 0);
    this.m.halted = false;
    this.enter(this.callback, pc, pending, true);
  }

  private hypercall(nextPc: number): void {
    const m = this.m;
    const n = m.regs[1];
    this.hypercalls[n] = (this.hypercalls[n] ?? 0) + 1;
    const [a, b, c] = [m.regs[2], m.regs[3], m.regs[4]];
    if (n === 15) {
      // iret: [r1, pc, cs, flags, sp]
      const sp = m.regs[15];
      const [r1, pc, cs, flags, newSp] = [0, 4, 8, 12, 16].map((o) => this.read(sp + o));
      m.regs[1] = r1;
      m.flags = (flags & ARITH) | Flag.IF;
      m.cpl = cs & 3;
      if (m.cpl === 0) return this.fail('iret to ring 0');
      m.regs[15] = newSp;
      this.w32(SI_MASK, (flags & Flag.IF) !== 0 ? 0 : 1);
      m.pc = pc;
      this.deliverEvents(pc);
      return;
    }
    if (n === 8) {
      // sched_block: unmask, deliver or wait for the next interrupt
      this.w32(SI_MASK, 0);
      m.regs[1] = 0;
      m.pc = nextPc;
      if (this.r32(SI_PENDING) !== 0) this.deliverEvents(nextPc);
      else m.halted = true;
      return;
    }
    m.regs[1] = this.call(n, a, b, c);
    m.pc = nextPc;
    this.deliverEvents(nextPc);
  }

  /** One hypercall other than iret and sched_block; returns its result. */
  private call(n: number, a: number, b: number, c: number): number {
    const m = this.m;
    switch (n) {
      case 1:
        for (let i = 0; i < b; i++)
          this.traps.set(this.read(a + 12 * i), { handler: this.read(a + 12 * i + 4), flags: this.read(a + 12 * i + 8) });
        return 0;
      case 2:
        for (let i = 0; i < b; i++) {
          const pa = this.read(a + 8 * i);
          if (pa >>> 0 >= 0x00800000 || (pa & 3) !== 0) return -22;
          this.w32(pa, this.read(a + 8 * i + 4));
          this.updates++;
        }
        return 0;
      case 3:
        m.cr[3] = a;
        m.cr[0] |= 1;
        m.mmu.root = a;
        m.mmu.paging = true;
        m.mmu.flush();
        return 0;
      case 4:
        m.mmu.invalidate(a);
        return 0;
      case 5:
        m.portWrite(0x40, a);
        return 0;
      case 6:
        for (let i = 0; i < b; i++) m.platform.console.put(m.memory.u8[m.mmu.translate(a + i, Access.read, false)]);
        return 0;
      case 7:
        m.portWrite(0x1f0, b);
        m.portWrite(0x1f1, c);
        m.portWrite(0x1f2, a);
        return (m.portRead(0x1f2) & 2) !== 0 ? -5 : 0;
      case 9:
        for (let i = 0; i < b; i++) {
          const e = a + 20 * i;
          const r = this.call(this.read(e), this.read(e + 4), this.read(e + 8), this.read(e + 12));
          m.memory.write32(m.mmu.translate(e, Access.write, false), r);
        }
        return 0;
      case 10:
        this.kernelStack = a;
        return 0;
      case 11:
        m.portWrite(0xf0, a);
        return 0;
      case 12:
        m.portWrite(0xf4, a);
        return 0;
      case 13:
      case 19:
        return 0;
      case 14:
        this.callback = a;
        return 0;
      case 23:
        // set_sysenter: the workloads enter by the vsyscall page's int 0x80, never by SYSENTER
        return 0;
      case 17:
        return m.portRead(0x3f9);
      case 18:
        m.cr[8] = a;
        return 0;
      default:
        this.fail(`unknown hypercall ${n}`);
        return -38;
    }
  }
}
