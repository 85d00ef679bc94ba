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
import type { VmExit } from '../../core/vmx/exits';
import { Vector } from '../../core/isa/table';
import { crMask, exceptionMask } from '../../core/vmx/vmcs';
import { choice } from '../options';
import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { DEVICE_MODEL_COUNTERS, DEVICE_MODEL_OPTION, DeviceModel } from '../shared/device-model';
import { VMCS_COUNTERS, vmread, vmwrite } from './vmcs-access';
import { buildIdentityNestedTables } from '../shared/nested-tables';
import { SHADOW_CACHE_OPTION, ShadowPager } from '../shared/shadow-paging';
import { defineStrategy, type StrategyContext } from '../strategy';
import type { Cpu } from '../../core/cpu/cpu';
import { EXIT_HANDLERS, injectPending, type ExitContext } from './exit-handlers';
import { VMCB_COUNTERS } from './vmcb-access';
import { createControlBlock, hideGuestCr0, profilesThatFit, tprShadowByDefault, VENDOR_OPTION, vendorMismatch } from './vendor';

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
    vendor: VENDOR_OPTION,
  },
  counters: [VMM_COUNTERS, SHADOW_PAGING_COUNTERS, DEVICE_MODEL_COUNTERS, VMCS_COUNTERS, VMCB_COUNTERS],
  reservedBytes: RESERVED,
  check: (o, p) =>
    vendorMismatch(o.vendor, p) ??
    (o.paging === 'nested' && !p.features.nestedPaging
      ? `option paging=nested does not apply to profile '${p.name}', which has no nested paging; valid choices there: paging=shadow (nested paging with vendor=${o.vendor} needs one of: ${profilesThatFit(o.vendor, true).join(', ')})`
      : !p.features.vtx
        ? `profile '${p.name}' has no hardware virtualization extension`
        : null),
  start: (ctx) => {
    const v = startHardwareVcpu(ctx, ctx.cpus[0], ctx.options);
    return { vcpus: [v.handler], exitHandlerCycles: () => ({ ...v.handlerCycles }) };
  },
});

/** The settings of one CPU's hardware-assisted VMM (the strategy's options, or those of a strategy built on it). */
export interface HardwareVcpuSettings {
  readonly paging: 'shadow' | 'nested';
  readonly 'tpr-shadow': 'auto' | 'on' | 'off';
  readonly 'shadow-cache': number;
  readonly 'device-model': 'vmm' | 'user';
  readonly vendor: 'intel' | 'amd';
}

/** What a VMM built on this one may change (hybrid's cluster engine). */
export interface HardwareVcpuHooks {
  /** the machine as the shadow pager sees it (its frame pool is all memory above guest RAM up to that machine's end) */
  readonly pagerMachine?: Cpu;
  /** called after an exit is handled, instead of the VM entry if it returns true (the guest then runs another way) */
  readonly beforeEntry?: (exit: VmExit) => boolean;
}

/** One CPU's hardware-assisted VMM: its exit handler, the context its handlers share, the cycles they added by exit reason. */
export interface HardwareVcpu {
  readonly handler: { readonly onVmExit: (exit: VmExit) => void };
  readonly context: ExitContext;
  readonly handlerCycles: Record<string, number>;
}

/** Set up CPU `m` for its guest under hardware assistance (its control block, paging, exit handling) and enter the guest. */
export const startHardwareVcpu = (
  ctx: Pick<StrategyContext<unknown>, 'platform' | 'profile' | 'guestMemoryBytes' | 'entry'>,
  m: Cpu,
  o: HardwareVcpuSettings,
  hooks: HardwareVcpuHooks = {},
): HardwareVcpu => {
  const nested = o.paging === 'nested';
  const tprShadow = o['tpr-shadow'] === 'on' || (o['tpr-shadow'] === 'auto' && tprShadowByDefault(o.vendor, ctx.profile));
  const vpid = ctx.profile.features.nestedPaging;
  const vmcs = createControlBlock(o.vendor, m, ctx.entry);
  const c = vmcs.controls;
  c.hlt = true;
  c.unconditionalIo = true;
  c.externalInterruptExiting = true;
  c.crWriteExiting = tprShadow ? 0 : crMask('cr8');
  let pager: ShadowPager | null = null;
  if (nested) {
    vmcs.nestedRoot = buildIdentityNestedTables(ctx.platform.memory, ctx.guestMemoryBytes);
  } else {
    pager = new ShadowPager(hooks.pagerMachine ?? m, ctx.guestMemoryBytes, { cacheRoots: o['shadow-cache'], install: 'vmcs' });
    pager.setGuestPaging(false, 0);
    c.crWriteExiting |= crMask('cr0', 'cr3');
    c.crReadExiting = crMask('cr3');
    c.invlpg = true;
    c.exceptionBitmap = exceptionMask(Vector.pageFault);
    // the real cr0/cr3 are the pager's; the guest reads its own cr0 through the shadow
    vmcs.guest.cr[0] = m.cr[0];
    vmcs.guest.cr[3] = m.cr[3];
    hideGuestCr0(vmcs);
  }
  const ctxExit: ExitContext = { m, vmcs, pager, guestCr: { cr0: 0, cr3: 0 }, pending: [], tprShadow, devices: new DeviceModel(o['device-model']) };
  // VPID tags the guest's translations; with shadow paging the VMM rewrites them from root
  // mode, so tagging is only used with nested paging
  vmcs.vpid = vpid && nested;
  // the modelled cycles each exit's handler added (VMM work and hardware events it caused), by reason
  const handlerCycles: Record<string, number> = {};
  const onVmExit = (exit: VmExit): void => {
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
    if (hooks.beforeEntry?.(exit) === true) return;
    m.vmEnter(vmcs);
  };
  m.vmEnter(vmcs);
  return { handler: { onVmExit }, context: ctxExit, handlerCycles };
};
