/**
 * `hybrid`: hardware assistance plus binary translation of exit clusters, VMware's
 * combination (Agesen, Mattson, Rugina, Sheldon, USENIX ATC 2012). The guest runs under
 * the hardware-assisted VMM (shadow paging, the shared exit handlers, either vendor's
 * flavour); after an exit at an instruction that other exiting instructions follow, the
 * cluster engine runs that code through binary translation's translator in root mode, so
 * one exit covers the cluster (cluster-engine.ts).
 *
 * Options: `clusters=off|pairs|on` (none; an exiting instruction and the next; clusters
 * with control flow, loops chained), `lookahead=N` (guest instructions examined and
 * translated after an exit), `threshold=N` (exits at one guest pc before its code is
 * examined), `vendor=intel|amd`. Nested paging is not offered: the engine runs translated
 * code through the shadow page tables, the only view of guest-virtual memory root mode has.
 *
 * With several vCPUs each runs the hardware-assisted VMM on the guest's one shadow pager,
 * with a cluster engine of its own (data page and cluster cache in its own area of the VMM
 * range, as binary translation's vCPUs have).
 * @category Strategies
 */
import { PAGE_SIZE } from '../../core/mmu/pte';
import { BT_COUNTERS } from '../binary-translation/counters';
import { PAGER_BYTES, RESERVED_BYTES, vcpusThatFit, vmmLinear, vmmPhysical, vmmReservedRanges } from '../binary-translation/layout';
import { hardwareGuest, hardwareReservedMemory, startHardwareVcpu, type HardwareVcpuSettings } from '../hardware-assisted/hardware-assisted';
import type { Trap } from '../../core/cpu/exit';
import { VMCB_COUNTERS } from '../hardware-assisted/vmcb-access';
import { VMCS_COUNTERS } from '../hardware-assisted/vmcs-access';
import { VENDOR_OPTION, vendorMismatch } from '../hardware-assisted/vendor';
import { choice, integer } from '../options';
import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { DEVICE_MODEL_COUNTERS } from '../shared/device-model';
import { SHADOW_CACHE_OPTION } from '../shared/shadow-paging';
import { defineStrategy } from '../strategy';
import { ClusterEngine, type VmmRangeUsers } from './cluster-engine';
import { HYBRID_COUNTERS } from './counters';

/** Bytes of translated code the cluster cache holds (clusters are few and short). */
export const CLUSTER_CACHE_BYTES = 64 * PAGE_SIZE;

/** The hybrid strategy. */
export const hybrid = defineStrategy({
  name: 'hybrid',
  description: 'hardware assistance (shadow paging) plus binary translation of exit clusters in root mode: one exit covers a cluster of exiting instructions',
  kernelBuild: 'native',
  options: {
    clusters: choice(['off', 'pairs', 'on'], 'on', 'translate exit clusters: off (plain hardware assistance), pairs (an exiting instruction and the next), on (clusters with control flow; loops chained)'),
    lookahead: integer(1, 64, 16, 'guest instructions examined (and translated) after an exiting instruction'),
    threshold: integer(1, 1000, 2, 'exits at one guest pc before the code there is examined for a cluster'),
    vendor: VENDOR_OPTION,
  },
  counters: [VMM_COUNTERS, SHADOW_PAGING_COUNTERS, DEVICE_MODEL_COUNTERS, VMCS_COUNTERS, VMCB_COUNTERS, BT_COUNTERS, HYBRID_COUNTERS],
  reservedBytes: RESERVED_BYTES,
  check: (o, p) => vendorMismatch(o.vendor, p) ?? (!p.features.vtx ? `profile '${p.name}' has no hardware virtualization extension` : null),
  maxVcpus: () => vcpusThatFit(CLUSTER_CACHE_BYTES),
  start: (ctx) => {
    // guest RAM, the shadow pager's frames, then the engines' page table and each vCPU's data page and cache
    const vmmBase = ctx.guestMemoryBytes + PAGER_BYTES;
    const settings: HardwareVcpuSettings = { paging: 'shadow', 'tpr-shadow': 'auto', 'shadow-cache': SHADOW_CACHE_OPTION.default, 'device-model': 'vmm', vendor: ctx.options.vendor };
    // the vCPUs share the shadows (whose frames end where the engines' pages begin) and the handlers' cycles
    const guest = hardwareGuest(ctx, ctx.cpus[0], settings, vmmBase);
    const ranges: VmmRangeUsers = new Map();
    ctx.platform.memory.i32.fill(0, vmmBase >>> 2, (vmmBase + PAGE_SIZE) >>> 2);
    const vcpus = ctx.cpus.map((m) => {
      let engine: ClusterEngine | null = null;
      const v = startHardwareVcpu(ctx, m, settings, { beforeEntry: (exit) => engine?.afterExit(exit) ?? false }, guest);
      const e = new ClusterEngine(
        m,
        v.context,
        vmmPhysical(vmmBase, m.index, CLUSTER_CACHE_BYTES),
        { clusters: ctx.options.clusters, lookahead: ctx.options.lookahead, threshold: ctx.options.threshold, cacheBytes: CLUSTER_CACHE_BYTES },
        vmmLinear(m.index, CLUSTER_CACHE_BYTES),
        ranges,
      );
      engine = e;
      return { onVmExit: v.handler.onVmExit, onStartup: v.handler.onStartup, onTrap: (t: Trap) => e.onTrap(t) };
    });
    return {
      vcpus,
      exitHandlerCycles: () => ({ ...guest.handlerCycles }),
      reservedMemory: () => [...hardwareReservedMemory(guest, ctx.guestMemoryBytes), ...vmmReservedRanges(vmmBase, ctx.cpus.length, CLUSTER_CACHE_BYTES)],
    };
  },
});
