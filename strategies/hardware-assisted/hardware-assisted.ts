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
import type { VcpuHandler } from '../../core/cpu/exit';
import { profilesWith } from '../../core/cost/profile';
import { choice, integer } from '../options';
import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { DEVICE_MODEL_COUNTERS, DEVICE_MODEL_OPTION, DeviceModel } from '../shared/device-model';
import { VMCS_COUNTERS, vmread, vmwrite } from './vmcs-access';
import { buildIdentityNestedTables, nestedTablesBytes } from '../shared/nested-tables';
import type { ReservedRange } from '../reserved-memory';
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
    ple: choice(['off', 'on'], 'off', 'pause-loop exiting: a spin of PAUSEs (each within ple-gap cycles of the last) longer than ple-window cycles exits (profiles with pauseLoopExiting)'),
    'ple-gap': integer(1, 1 << 20, 128, "cycles between two PAUSEs of one spin (KVM's ple_gap default, 128)"),
    'ple-window': integer(1, 1 << 30, 4096, "cycles a spin lasts before it exits (KVM's ple_window default, 4096: \"most spinlocks are held for less than 2^12 cycles\")"),
  },
  counters: [VMM_COUNTERS, SHADOW_PAGING_COUNTERS, DEVICE_MODEL_COUNTERS, VMCS_COUNTERS, VMCB_COUNTERS],
  reservedBytes: RESERVED,
  check: (o, p) =>
    vendorMismatch(o.vendor, p) ??
    (o.ple === 'on' && (o.vendor !== 'intel' || !p.features.pauseLoopExiting)
      ? `option ple=on does not apply to profile '${p.name}' with vendor=${o.vendor}: it needs VT-x pause-loop exiting; valid choices there: ple=off (ple=on needs vendor=intel and one of: ${profilesWith('pauseLoopExiting').join(', ')})`
      : o.paging === 'nested' && !p.features.nestedPaging
      ? `option paging=nested does not apply to profile '${p.name}', which has no nested paging; valid choices there: paging=shadow (nested paging with vendor=${o.vendor} needs one of: ${profilesThatFit(o.vendor, true).join(', ')})`
      : !p.features.vtx
        ? `profile '${p.name}' has no hardware virtualization extension`
        : null),
  maxVcpus: () => 8,
  start: (ctx) => {
    // the vCPUs share the guest's nested tables or its shadows, and count their handlers' cycles together
    const guest = hardwareGuest(ctx, ctx.cpus[0], ctx.options);
    const vcpus = ctx.cpus.map((m) => startHardwareVcpu(ctx, m, ctx.options, {}, guest).handler);
    return { vcpus, exitHandlerCycles: () => ({ ...guest.handlerCycles }), reservedMemory: () => hardwareReservedMemory(guest, ctx.guestMemoryBytes) };
  },
});

/** The settings of one CPU's hardware-assisted VMM (the strategy's options, or those of a strategy built on it). */
export interface HardwareVcpuSettings {
  readonly paging: 'shadow' | 'nested';
  readonly 'tpr-shadow': 'auto' | 'on' | 'off';
  readonly 'shadow-cache': number;
  readonly 'device-model': 'vmm' | 'user';
  readonly vendor: 'intel' | 'amd';
  /** pause-loop exiting (absent: off) */
  readonly ple?: 'off' | 'on';
  readonly 'ple-gap'?: number;
  readonly 'ple-window'?: number;
}

/** What the vCPUs of one guest share: its nested tables or its shadow pager, and the cycles their exit handlers added by reason. */
export interface HardwareGuest {
  readonly nestedRoot: number | null;
  readonly pager: ShadowPager | null;
  readonly handlerCycles: Record<string, number>;
}

/**
 * The shared part of a guest under hardware assistance (`first`: the vCPU the shadow pager
 * serves first; `poolEnd`: where the pager's frames end, if a VMM built on this one keeps
 * pages above them).
 */
export const hardwareGuest = (
  ctx: Pick<StrategyContext<unknown>, 'platform' | 'guestMemoryBytes'>,
  first: Cpu,
  o: HardwareVcpuSettings,
  poolEnd?: number,
): HardwareGuest => ({
  nestedRoot: o.paging === 'nested' ? buildIdentityNestedTables(ctx.platform.memory, ctx.guestMemoryBytes) : null,
  pager: o.paging === 'nested' ? null : new ShadowPager(first, ctx.guestMemoryBytes, { cacheRoots: o['shadow-cache'], install: 'vmcs', poolEnd }),
  handlerCycles: {},
});

/** The reserved memory of a guest under hardware assistance: its shadow pager's frames, or its nested tables (built at the start, never changed). */
export const hardwareReservedMemory = (guest: HardwareGuest, guestMemoryBytes: number): ReservedRange[] =>
  guest.pager !== null
    ? [guest.pager.poolRange]
    : guest.nestedRoot !== null
      ? [{ name: 'nested page tables', start: guest.nestedRoot, bytes: nestedTablesBytes(guestMemoryBytes), guest: 'none', changes: false }]
      : [];

/** What a VMM built on this one may change (hybrid's cluster engine). */
export interface HardwareVcpuHooks {
  /** called after an exit is handled, instead of the VM entry if it returns true (the guest then runs another way) */
  readonly beforeEntry?: (exit: VmExit) => boolean;
}

/** One CPU's hardware-assisted VMM: its exit handler, the context its handlers share, the cycles they added by exit reason. */
export interface HardwareVcpu {
  readonly handler: VcpuHandler & { readonly onVmExit: (exit: VmExit) => void };
  readonly context: ExitContext;
  readonly handlerCycles: Record<string, number>;
}

/**
 * Set up CPU `m` for its guest under hardware assistance (its control block, paging, exit
 * handling, its start): the boot CPU (index 0) enters the guest now, the others when a
 * start-up IPI reaches them. `guest` is what the guest's vCPUs share (default: this CPU's own).
 */
export const startHardwareVcpu = (
  ctx: Pick<StrategyContext<unknown>, 'platform' | 'profile' | 'guestMemoryBytes' | 'entry'>,
  m: Cpu,
  o: HardwareVcpuSettings,
  hooks: HardwareVcpuHooks = {},
  guest: HardwareGuest = hardwareGuest(ctx, m, o),
): HardwareVcpu => {
  const tprShadow = o['tpr-shadow'] === 'on' || (o['tpr-shadow'] === 'auto' && tprShadowByDefault(o.vendor, ctx.profile));
  const vpid = ctx.profile.features.nestedPaging;
  const vmcs = createControlBlock(o.vendor, m, ctx.entry);
  const c = vmcs.controls;
  c.hlt = true;
  c.unconditionalIo = true;
  c.externalInterruptExiting = true;
  c.crWriteExiting = tprShadow ? 0 : crMask('cr8');
  if (o.ple === 'on') c.pauseLoopExiting = { gap: o['ple-gap'] ?? 128, window: o['ple-window'] ?? 4096 };
  const pager = guest.pager;
  /** With shadow paging: this vCPU on the shadow root of a guest with paging off. */
  const shadowReset = (): void => {
    if (!pager) return;
    pager.use(m);
    pager.setGuestPaging(false, 0);
    // the real cr0/cr3 are the pager's; the guest reads its own cr0 through the shadow
    vmcs.guest.cr[0] = m.cr[0];
    vmcs.guest.cr[3] = m.cr[3];
    hideGuestCr0(vmcs);
  };
  if (guest.nestedRoot !== null) {
    vmcs.nestedRoot = guest.nestedRoot;
  } else {
    c.crWriteExiting |= crMask('cr0', 'cr3');
    c.crReadExiting = crMask('cr3');
    c.invlpg = true;
    c.exceptionBitmap = exceptionMask(Vector.pageFault);
    if (m.index === 0) shadowReset();
  }
  const ctxExit: ExitContext = { m, vmcs, pager, guestCr: { cr0: 0, cr3: 0 }, pending: [], tprShadow, devices: new DeviceModel(o['device-model'], m) };
  // VPID tags the guest's translations; with shadow paging the VMM rewrites them from root
  // mode, so tagging is only used with nested paging
  vmcs.vpid = vpid && guest.nestedRoot !== null;
  // the modelled cycles each exit's handler added (VMM work and hardware events it caused), by reason
  const handlerCycles = guest.handlerCycles;
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
    if (hooks.beforeEntry?.(exit) === true) return;
    m.vmEnter(vmcs);
  };
  // a start-up IPI the guest sent this vCPU (its ICR write exited and was emulated): the VMM
  // starts it from the wait-for-SIPI state at the start address, ring 0, paging off
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
  return { handler: { onVmExit, onStartup }, context: ctxExit, handlerCycles };
};
