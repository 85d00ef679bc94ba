/**
 * VM entry and VM exit of the hardware virtualization extension: loading and saving the
 * guest state of the VMCS, switching between tagged TLBs (VPID) or flushing, and recording
 * the event the VMM injects.
 * @category VMX
 */
import { CR0_PG } from '../isa/table';
import { Tlb } from '../mmu/tlb';
import type { VmExit } from '../vmx/exits';
import type { Vmcs } from '../vmx/vmcs';
import type { Cpu } from './cpu';

/** On a VM transition: swap tagged TLBs (VPID) or flush. */
const switchTlb = (cpu: Cpu, vmcs: Vmcs, to: 'guest' | 'root'): void => {
  if (!vmcs.vpid) {
    cpu.mmu.flush();
    cpu.events.emit({ kind: 'tlb-flush', t: cpu.time, cause: 'vm-transition' });
    return;
  }
  cpu.rootTlb ??= cpu.mmu.tlb;
  cpu.guestTlb ??= new Tlb(cpu.rootTlb.size, cpu.rootTlb.ways);
  cpu.mmu.useTlb(to === 'guest' ? cpu.guestTlb : cpu.rootTlb);
};

/**
 * Enter non-root mode with the VMCS's guest state (VM entry). The event the VMM asked to
 * inject is delivered when the CPU next runs, so a fault while delivering it is an exit of
 * that run, never a call back into the VMM.
 */
export const enterGuest = (cpu: Cpu, vmcs: Vmcs): void => {
  const g = vmcs.guest;
  cpu.vmcs = vmcs;
  cpu.regs.set(g.regs);
  cpu.pc = g.pc;
  cpu.flags = g.flags;
  cpu.cpl = g.cpl;
  cpu.cr.set(g.cr);
  cpu.idtBase = g.idtBase;
  cpu.mmu.paging = (g.cr[0] & CR0_PG) !== 0;
  cpu.mmu.root = g.cr[3];
  cpu.mmu.nestedRoot = vmcs.nestedRoot ?? -1;
  switchTlb(cpu, vmcs, 'guest');
  cpu.nonRoot = true;
  // a vCPU an INIT reached while the VMM emulated its access (an INIT to itself through the
  // ICR) stays in wait-for-SIPI, the activity state it would be in natively
  cpu.halted = vmcs.activityHalted || cpu.waitingForStartup;
  vmcs.activityHalted = false;
  cpu.interruptCheck = true;
  cpu.events.emit({ kind: 'vm-entry', t: cpu.time });
  cpu.pendingInjection = vmcs.injection;
  vmcs.injection = null;
};

/** Leave non-root mode: save the guest state in the VMCS (VM exit). The exit goes to the VMM as a value. */
export const exitToRoot = (cpu: Cpu, exit: VmExit): void => {
  const vmcs = cpu.vmcs;
  if (!vmcs) throw new Error('internal error: VM exit outside non-root mode');
  const g = vmcs.guest;
  g.regs.set(cpu.regs);
  g.pc = cpu.pc;
  g.flags = cpu.flags;
  g.cpl = cpu.cpl;
  g.cr.set(cpu.cr);
  g.idtBase = cpu.idtBase;
  cpu.nonRoot = false;
  cpu.pendingInjection = null;
  cpu.mmu.nestedRoot = -1;
  switchTlb(cpu, vmcs, 'root');
  vmcs.recordExit?.(exit);
  cpu.events.emit({ kind: 'vm-exit', t: cpu.time, exit });
};
