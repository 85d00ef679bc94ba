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
import { Pte } from '../../core/mmu/pte';
import { createVmcs } from '../../core/vmx/vmcs';
import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { ShadowPager } from '../shared/shadow-paging';
import type { Strategy } from '../strategy';
import { EXIT_HANDLERS, injectPending, type ExitContext } from './exit-handlers';

/** Machine memory reserved for the VMM (shadow or nested tables). */
const RESERVED = 4 * 1024 * 1024;

/** Profiles with nested paging (for messages). */
const NESTED_PROFILES = 'nehalem-2009, skylake-2015, modern';

/** The hardware-assisted strategy. */
export const hardwareAssisted: Strategy = {
  name: 'hardware-assisted',
  description: 'VMM in root mode, unmodified guest kernel in non-root ring 0; exits per the VMCS controls',
  kernelBuild: 'native',
  options: {
    paging: { kind: 'choice', description: 'shadow page tables, or nested (EPT/NPT) second-level tables', choices: ['shadow', 'nested'], default: 'shadow' },
    'tpr-shadow': {
      kind: 'choice',
      description: 'cr8 (TPR) writes without an exit; auto = on for profiles with nested paging',
      choices: ['auto', 'on', 'off'],
      default: 'auto',
    },
    'shadow-cache': { kind: 'integer', description: 'shadow page-table roots kept for reuse (paging=shadow)', min: 1, max: 64, default: 8 },
  },
  counters: [VMM_COUNTERS, SHADOW_PAGING_COUNTERS],
  reservedBytes: RESERVED,
  check: (o, p) =>
    o.paging === 'nested' && !p.features.nestedPaging
      ? `option paging=nested does not apply to profile '${p.name}', which has no nested paging; valid choices there: paging=shadow (nested paging needs one of: ${NESTED_PROFILES})`
      : !p.features.vtx
        ? `profile '${p.name}' has no hardware virtualization extension`
        : null,
  start: (ctx) => {
    const m = ctx.machine;
    const nested = ctx.options.paging === 'nested';
    const tprShadow = ctx.options['tpr-shadow'] === 'on' || (ctx.options['tpr-shadow'] === 'auto' && ctx.profile.features.nestedPaging);
    const vpid = ctx.profile.features.nestedPaging;
    const vmcs = createVmcs(ctx.entry);
    const c = vmcs.controls;
    c.hlt = true;
    c.unconditionalIo = true;
    c.externalInterruptExiting = true;
    c.crWriteExiting = tprShadow ? 0 : 1 << 8;
    let pager: ShadowPager | null = null;
    if (nested) {
      vmcs.nestedRoot = buildIdentityNestedTables(ctx.machine, ctx.guestMemoryBytes);
    } else {
      pager = new ShadowPager(m, ctx.guestMemoryBytes, { cacheRoots: Number(ctx.options['shadow-cache']) });
      pager.setGuestPaging(false, 0);
      c.crWriteExiting |= (1 << 0) | (1 << 3);
      c.crReadExiting = 1 << 3;
      c.invlpg = true;
      c.exceptionBitmap = 1 << 14;
      // the real cr0/cr3 are the pager's; the guest reads its own cr0 through the shadow
      vmcs.guest.cr[0] = m.cr[0];
      vmcs.guest.cr[3] = m.cr[3];
      vmcs.cr0ReadShadow = 0;
    }
    const ctxExit: ExitContext = { m, vmcs, pager, guestCr: { cr0: 0, cr3: 0 }, pending: [], tprShadow };
    // VPID tags the guest's translations; with shadow paging the VMM rewrites them from root
    // mode, so tagging is only used with nested paging
    vmcs.vpid = vpid && nested;
    // the modelled cycles each exit's handler added (VMM work and hardware events it caused), by reason
    const handlerCycles: Record<string, number> = {};
    m.vmExitHandler = (mm, exit) => {
      if (pager) {
        // the shadow root may have changed under the guest: it is the real cr3
        vmcs.guest.cr[3] = mm.cr[3];
      }
      const handler = EXIT_HANDLERS[exit.reason] as ((c: ExitContext, e: typeof exit) => void) | undefined;
      if (handler === undefined) {
        mm.stop({ kind: 'stopped', detail: `internal error: VM exit with unknown reason '${(exit as { reason: string }).reason}'` });
        return;
      }
      mm.sync();
      const before = mm.ledger.cycles;
      handler(ctxExit, exit);
      handlerCycles[exit.reason] = (handlerCycles[exit.reason] ?? 0) + mm.ledger.cycles - before;
      if (mm.stopReason !== null) return;
      if (pager) {
        vmcs.guest.cr[0] = mm.cr[0];
        vmcs.guest.cr[3] = mm.cr[3];
      }
      injectPending(ctxExit);
      mm.vmEnter(vmcs);
    };
    m.vmEnter(vmcs);
    return {
      run: (budget) => m.run(budget),
      exitHandlerCycles: () => ({ ...handlerCycles }),
    };
  },
};

/**
 * Second-level tables mapping guest-physical [0, guestBytes) to the same machine addresses,
 * built in the VMM's memory right after guest RAM. Returns the root.
 */
export const buildIdentityNestedTables = (m: { memory: { write32(a: number, v: number): void; size: number } }, guestBytes: number): number => {
  const root = guestBytes;
  let next = root + 4096;
  const pages = guestBytes / 4096;
  for (let dir = 0; dir * 1024 < pages; dir++) {
    const table = next;
    next += 4096;
    m.memory.write32(root + dir * 4, table | Pte.present | Pte.writable | Pte.user);
    for (let i = 0; i < 1024 && dir * 1024 + i < pages; i++)
      m.memory.write32(table + i * 4, ((dir * 1024 + i) * 4096) | Pte.present | Pte.writable | Pte.user);
  }
  return root;
};
