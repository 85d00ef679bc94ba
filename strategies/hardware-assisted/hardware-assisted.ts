/**
 * `hardware-assisted`: a VMM in root mode ("Ring -1") runs the unmodified guest kernel in
 * non-root ring 0. The VMCS exit controls decide what leaves the guest; each exit goes to
 * one handler (exit-handlers.ts). Paging is either shadowed, as first-generation VT-x had
 * to (page faults, cr3 writes and INVLPG exit), or nested (EPT/NPT: the guest owns its page
 * tables and every TLB miss walks two dimensions).
 *
 * Before nested paging came VPID: on profiles without nested paging every VM entry and exit
 * flushes the TLB, as on NetBurst and Core 2.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';
import type { VcpuHandler } from '../../core/cpu/exit';
import type { VmExit } from '../../core/vmx/exits';
import { Vector } from '../../core/isa/table';
import { createVmcs, crMask, exceptionMask } from '../../core/vmx/vmcs';
import { profilesWith } from '../../core/cost/profile';
import { choice, integer } from '../options';
import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { DEVICE_MODEL_COUNTERS, DEVICE_MODEL_OPTION, DeviceModel } from '../shared/device-model';
import { VMCS_COUNTERS, vmread, vmwrite } from './vmcs-access';
import { buildIdentityNestedTables } from '../shared/nested-tables';
import { SHADOW_CACHE_OPTION, ShadowPager } from '../shared/shadow-paging';
import { defineStrategy } from '../strategy';
import { EXIT_HANDLERS, injectPending, type ExitContext } from './exit-handlers';

/** Machine memory reserved for the VMM (shadow or nested tables). */
const RESERVED = 4 * 1024 * 1024;

/** The hardware-assisted strategy. */
export const hardwareAssisted = defineStrategy({
  name: 'hardware-assisted',
  description: 'VMM in root mode, unmodified guest kernel in non-root ring 0; exits per the VMCS controls',
  kernelBuild: 'native',
  options: {
    paging: choice(['shadow', 'nested'], 'shadow', 'shadow page tables, or nested (EPT/NPT) second-level tables'),
    'tpr-shadow': choice(['auto', 'on', 'off'], 'auto', 'cr8 (TPR) writes without an exit; auto = on for profiles with nested paging'),
    'shadow-cache': SHADOW_CACHE_OPTION,
    'device-model': DEVICE_MODEL_OPTION,
    ple: choice(['off', 'on'], 'off', 'pause-loop exiting: a spin of PAUSEs (each within ple-gap cycles of the last) longer than ple-window cycles exits (profiles with pauseLoopExiting)'),
    'ple-gap': integer(1, 1 << 20, 128, "cycles between two PAUSEs of one spin (KVM's ple_gap default, 128)"),
    'ple-window': integer(1, 1 << 30, 4096, "cycles a spin lasts before it exits (KVM's ple_window default, 4096: \"most spinlocks are held for less than 2^12 cycles\")"),
  },
  counters: [VMM_COUNTERS, SHADOW_PAGING_COUNTERS, DEVICE_MODEL_COUNTERS, VMCS_COUNTERS],
  reservedBytes: RESERVED,
  check: (o, p) =>
    o.ple === 'on' && !p.features.pauseLoopExiting
      ? `option ple=on does not apply to profile '${p.name}', which has no pause-loop exiting; valid choices there: ple=off (pause-loop exiting needs one of: ${profilesWith('pauseLoopExiting').join(', ')})`
      : o.paging === 'nested' && !p.features.nestedPaging
      ? `option paging=nested does not apply to profile '${p.name}', which has no nested paging; valid choices there: paging=shadow (nested paging needs one of: ${profilesWith('nestedPaging').join(', ')})`
      : !p.features.vtx
        ? `profile '${p.name}' has no hardware virtualization extension`
        : null,
  maxVcpus: () => 8,
  start: (ctx) => {
    const nested = ctx.options.paging === 'nested';
    const tprShadow = ctx.options['tpr-shadow'] === 'on' || (ctx.options['tpr-shadow'] === 'auto' && ctx.profile.features.nestedPaging);
    const vpid = ctx.profile.features.nestedPaging;
    // one set of second-level tables for the VM (its guest-physical memory), shared by its vCPUs
    const nestedRoot = nested ? buildIdentityNestedTables(ctx.platform.memory, ctx.guestMemoryBytes) : null;
    // or one set of shadow page tables, shared by the vCPUs and kept coherent by the pager
    const shared = nested ? null : new ShadowPager(ctx.cpus[0], ctx.guestMemoryBytes, { cacheRoots: ctx.options['shadow-cache'], install: 'vmcs' });
    const ple = ctx.options.ple === 'on' ? { gap: ctx.options['ple-gap'], window: ctx.options['ple-window'] } : undefined;
    // the modelled cycles each exit's handler added (VMM work and hardware events it caused), by reason, all vCPUs
    const handlerCycles: Record<string, number> = {};
    /** One vCPU: its VMCS, its exit handling, its start. The boot vCPU enters the guest at once. */
    const vcpu = (m: Cpu): VcpuHandler => {
      const vmcs = createVmcs(ctx.entry);
      const c = vmcs.controls;
      c.hlt = true;
      c.unconditionalIo = true;
      c.externalInterruptExiting = true;
      c.crWriteExiting = tprShadow ? 0 : crMask('cr8');
      if (ple) c.pauseLoopExiting = ple;
      const pager = shared;
      /** With shadow paging: this vCPU on the shadow root of a guest with paging off. */
      const shadowReset = (): void => {
        if (!pager) return;
        pager.use(m);
        pager.setGuestPaging(false, 0);
        // the real cr0/cr3 are the pager's; the guest reads its own cr0 through the shadow
        vmcs.guest.cr[0] = m.cr[0];
        vmcs.guest.cr[3] = m.cr[3];
        vmcs.cr0ReadShadow = 0;
      };
      if (nestedRoot !== null) {
        vmcs.nestedRoot = nestedRoot;
      } else {
        c.crWriteExiting |= crMask('cr0', 'cr3');
        c.crReadExiting = crMask('cr3');
        c.invlpg = true;
        c.exceptionBitmap = exceptionMask(Vector.pageFault);
        if (m.index === 0) shadowReset();
      }
      const ctxExit: ExitContext = { m, vmcs, pager, guestCr: { cr0: 0, cr3: 0 }, pending: [], tprShadow, devices: new DeviceModel(ctx.options['device-model']) };
      // VPID tags the guest's translations; with shadow paging the VMM rewrites them from root
      // mode, so tagging is only used with nested paging
      vmcs.vpid = vpid && nested;
      const onVmExit = (exit: VmExit): void => {
        pager?.use(m);
        if (pager) {
          // the shadow root may have changed under the guest: it is the real cr3
          vmcs.guest.cr[3] = m.cr[3];
        }
        const handler = EXIT_HANDLERS[exit.reason] as ((c: ExitContext, e: VmExit) => void) | undefined;
        if (handler === undefined) {
          m.stop({ kind: 'stopped', detail: `internal error: VM exit with unknown reason '${(exit as { reason: string }).reason}'` });
          return;
        }
        m.sync();
        const before = m.ledger.cycles;
        vmread(m, 'exit reason');
        handler(ctxExit, exit);
        if (m.stopReason === null) {
          if (pager) {
            // the shadow root is the guest's real cr3: a new root is a VMWRITE
            if (vmcs.guest.cr[3] !== m.cr[3]) vmwrite(m, 'guest CR3');
            vmcs.guest.cr[0] = m.cr[0];
            vmcs.guest.cr[3] = m.cr[3];
          }
          injectPending(ctxExit);
        }
        handlerCycles[exit.reason] = (handlerCycles[exit.reason] ?? 0) + m.ledger.cycles - before;
        if (m.stopReason !== null) return;
        m.vmEnter(vmcs);
      };
      // a start-up IPI the guest sent this vCPU (its ICR write exited and was emulated): the
      // VMM starts it from the wait-for-SIPI state at the start address, ring 0, paging off
      const onStartup = (pc: number): void => {
        const g = vmcs.guest;
        g.regs.fill(0);
        g.cr.fill(0);
        g.pc = pc;
        g.flags = 0;
        g.cpl = 0;
        ctxExit.guestCr.cr0 = 0;
        ctxExit.guestCr.cr3 = 0;
        shadowReset();
        vmwrite(m, 'guest RIP');
        vmwrite(m, 'guest activity state');
        m.vmEnter(vmcs);
      };
      if (m.index === 0) m.vmEnter(vmcs);
      return { onVmExit, onStartup };
    };
    return { vcpus: ctx.cpus.map(vcpu), exitHandlerCycles: () => ({ ...handlerCycles }) };
  },
});
