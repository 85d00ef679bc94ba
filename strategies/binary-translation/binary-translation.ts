/**
 * `binary-translation`: full virtualization by binary translation with direct execution,
 * VMware style (Adams & Agesen, ASPLOS 2006). The unmodified guest kernel never runs as
 * written: code the guest runs at virtual ring 0 is translated (same ISA to same ISA) into
 * a bounded translation cache in VMM memory and runs from there at real ring 1; guest user
 * code runs unmodified at ring 3 by direct execution. Memory is virtualized with the shared
 * shadow page tables. See translator.ts, translation-cache.ts, adaptive.ts, monitor.ts.
 *
 * Options: `unit` (guest instructions per translation unit), `cache` (bytes of translated
 * code), `chaining` and `adaptive` (ablation switches).
 *
 * Several vCPUs share the shadows and the code protection; each has its own monitor, virtual
 * CPU (data page), doorbell and translation cache at its own linear address (layout.ts), so
 * no translation is shared and a flush concerns one vCPU only, while a write to translated
 * code invalidates it in every vCPU's cache. Secondary vCPUs start by start-up IPI.
 * @category Strategies
 */
import { PAGE_SIZE } from '../../core/mmu/pte';

import { Flag } from '../../core/isa/table';
import { MONITOR_COUNTERS, SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { DEVICE_MODEL_COUNTERS, DEVICE_MODEL_OPTION } from '../shared/device-model';
import { EVERY_TRAP } from '../shared/monitor';
import { DEFAULT_UNSHADOW_AFTER, ShadowPager } from '../shared/shadow-paging';
import { BT_COUNTERS } from './counters';
import { choice, integer } from '../options';
import { defineStrategy } from '../strategy';
import { DATA_VA, MAX_CACHE_BYTES, PAGER_BYTES, RESERVED_BYTES, vcpusThatFit, vmmLinear, vmmPhysical, vmmReservedRanges } from './layout';
import { BtMonitor, type BtGuest } from './monitor';
import { CodeProtection } from './code-protection';
import { maxUnitBytes } from './translator';

/** Most guest instructions a unit may be given (the `unit` option's maximum). */
export const MAX_UNIT = 64;

/** The smallest cache: one page, more than the largest unit of {@link MAX_UNIT} instructions. */
export const MIN_CACHE_BYTES = PAGE_SIZE;

if (maxUnitBytes(MAX_UNIT) > MIN_CACHE_BYTES) throw new Error('internal error: the smallest translation cache cannot hold the largest unit');

/**
 * The pager's default unshadowing: a page-table frame written many times while outside the
 * active address space stops being traced (freed tables reused as data, as in forkwait).
 * Live tables of the active address space, such as the one ptemod rewrites, are never
 * unshadowed, so adaptive retranslation still decides what their stores cost.
 */
export const UNSHADOW_AFTER = DEFAULT_UNSHADOW_AFTER;

/** Expansion ratio of a run's translation: translated bytes per guest byte translated (0 before any). */
export const expansionRatio = (t: { readonly translatedBytes?: number; readonly guestBytes?: number }): number =>
  t.guestBytes ? (t.translatedBytes ?? 0) / t.guestBytes : 0;

/** The binary-translation strategy. */
export const binaryTranslation = defineStrategy({
  name: 'binary-translation',
  description:
    'guest kernel translated (same ISA) into a translation cache and run at ring 1, guest user code by direct execution, shadow page tables',
  kernelBuild: 'native',
  options: {
    unit: integer(1, MAX_UNIT, 12, 'most guest instructions in a translation unit (a unit also ends at control flow)'),
    cache: integer(
      MIN_CACHE_BYTES,
      MAX_CACHE_BYTES,
      256 * 1024,
      'translation cache size in bytes of translated code (at least one page, which holds the largest unit); flushed when full',
    ),
    chaining: choice(['on', 'off'], 'on', 'patch a continuation into a direct jump once its target is translated (off: every unit transition enters the monitor)'),
    'device-model': DEVICE_MODEL_OPTION,
    adaptive: choice(['on', 'off'], 'on', 'retranslate stores that keep taking page-table trace faults into callouts (adaptive binary translation)'),
  },
  counters: [VMM_COUNTERS, MONITOR_COUNTERS, SHADOW_PAGING_COUNTERS, BT_COUNTERS, DEVICE_MODEL_COUNTERS],
  reservedBytes: RESERVED_BYTES,
  check: () => null,
  maxVcpus: (o) => vcpusThatFit(o.cache & ~3),
  start: (ctx) => {
    const cacheBytes = ctx.options.cache & ~3;
    const vmmBase = ctx.guestMemoryBytes + PAGER_BYTES;
    // the vCPUs share the shadows and the code protection; the pager's frames end where the
    // translation caches' region begins, so its pool never hands out the VMM's own pages
    const pager = new ShadowPager(ctx.cpus[0], ctx.guestMemoryBytes, { unshadowAfter: UNSHADOW_AFTER, poolEnd: vmmBase });
    pager.setGuestPaging(false, 0);
    const guest: BtGuest = { protection: new CodeProtection(ctx.cpus, ctx.guestMemoryBytes), monitors: [] };
    const memory = ctx.platform.memory.i32;
    memory.fill(0, vmmBase >>> 2, (vmmBase + PAGE_SIZE) >>> 2);
    const monitors = ctx.cpus.map(
      (m) =>
        new BtMonitor(
          m,
          pager,
          ctx.guestMemoryBytes,
          vmmPhysical(vmmBase, m.index, cacheBytes),
          {
            unit: ctx.options.unit,
            cacheBytes,
            chaining: ctx.options.chaining !== 'off',
            adaptive: ctx.options.adaptive !== 'off',
            deviceModel: ctx.options['device-model'],
          },
          { linear: vmmLinear(m.index, cacheBytes), guest },
        ),
    );
    // the boot vCPU starts at the guest's entry; the others when the guest sends them a start-up IPI
    const m = ctx.cpus[0];
    m.monitor = EVERY_TRAP;
    // the monitor's own (never used) table: what SIDT shows guest user code
    m.idtBase = DATA_VA;
    m.flags = Flag.IF;
    m.cpl = 1;
    m.pc = ctx.entry;
    monitors[0].settle();
    return {
      vcpus: monitors,
      divergence: () => monitors.find((x) => x.shared.divergence !== null)?.shared.divergence ?? null,
      reservedMemory: () => [pager.poolRange, ...vmmReservedRanges(vmmBase, ctx.cpus.length, cacheBytes)],
    };
  },
});
