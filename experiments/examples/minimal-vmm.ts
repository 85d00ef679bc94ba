/**
 * A worked example of a strategy loaded from a file:
 *
 *   ringlab run --strategy-module experiments/examples/minimal-vmm.ts --strategy minimal-vmm \
 *     --workload syscall --profile nehalem-2009
 *
 * The smallest useful hardware-assisted VMM: nested paging (the guest owns its page tables),
 * exits only for port I/O, HLT and external interrupts, one handler per exit reason. Every
 * cost it shows comes from events the machine counts (VM exits, walks of the nested tables)
 * and from what the handlers record in the VMM events.
 * @category Examples
 */
import type { Cpu } from '../../core/cpu/cpu';
import { nextPending } from '../../core/devices/priority';
import { Flag } from '../../core/isa/table';
import type { VmExit, VmExitReason } from '../../core/vmx/exits';
import { createVmcs, type Vmcs } from '../../core/vmx/vmcs';
import { VMM_COUNTERS } from '../../strategies/shared/counters';
import { buildIdentityNestedTables, nestedTablesBytes } from '../../strategies/shared/nested-tables';
import { defineStrategy } from '../../strategies/strategy';

/** The strategy API version this module is written for (STRATEGY_API_VERSION of strategies/strategy.ts). */
export const apiVersion = 1;

type Handler = (m: Cpu, vmcs: Vmcs, e: VmExit, pending: number[]) => void;

/** One handler per exit reason this VMM asks for; any other reason is an internal error. */
const HANDLERS: Partial<Record<VmExitReason, Handler>> = {
  io: (m, vmcs, e) => {
    if (e.reason !== 'io') return;
    const g = vmcs.guest;
    if (e.direction === 'in') g.regs[e.register] = m.portRead(e.port, true);
    else m.portWrite(e.port, g.regs[e.register], true);
    g.pc = e.nextPc;
  },
  hlt: (m, vmcs, e, pending) => {
    if (e.reason !== 'hlt') return;
    vmcs.guest.pc = e.nextPc;
    if ((vmcs.guest.flags & Flag.IF) === 0) m.stop({ kind: 'halted', pc: e.pc });
    else if (pending.length === 0) vmcs.activityHalted = true; // wait for the next interrupt
  },
  'external-interrupt': (m, _vmcs, _e, pending) => {
    const v = m.pic.deliverable();
    if (v >= 0) {
      m.pic.acknowledge(v);
      pending.push(v);
    }
  },
  'interrupt-window': (_m, vmcs) => {
    vmcs.controls.interruptWindowExiting = false;
  },
};

/** The example strategy. */
export const minimalVmm = defineStrategy({
  name: 'minimal-vmm',
  description: 'example: nested paging, exits only on I/O, HLT and interrupts (experiments/examples/minimal-vmm.ts)',
  kernelBuild: 'native',
  options: {},
  counters: [VMM_COUNTERS],
  reservedBytes: 64 * 1024,
  check: (_o, p) =>
    p.vendor === 'amd' ? `minimal-vmm drives VT-x (a VMCS); '${p.name}' is an AMD part` : p.features.nestedPaging ? null : `minimal-vmm needs a profile with nested paging, not '${p.name}'`,
  start: (ctx) => {
    const m = ctx.cpus[0];
    const vmcs = createVmcs(ctx.entry);
    vmcs.nestedRoot = buildIdentityNestedTables(ctx.platform.memory, ctx.guestMemoryBytes);
    vmcs.vpid = true;
    Object.assign(vmcs.controls, { unconditionalIo: true, hlt: true, externalInterruptExiting: true });
    const pending: number[] = [];
    const onVmExit = (exit: VmExit): void => {
      const handle = HANDLERS[exit.reason];
      if (!handle) return m.stop({ kind: 'stopped', detail: `internal error: unexpected VM exit '${exit.reason}'` });
      m.ledger.tally('emulations', exit.reason);
      handle(m, vmcs, exit, pending);
      if (m.stopReason !== null) return;
      // inject the pending interrupt the guest can take now, else exit when it can
      const k = nextPending(pending, vmcs.guest.cr[8]);
      if (k >= 0 && (vmcs.guest.flags & Flag.IF) !== 0) {
        vmcs.injection = { vector: pending.splice(k, 1)[0], type: 'external' };
        m.ledger.tally('injections', vmcs.injection.vector);
      }
      vmcs.controls.interruptWindowExiting = nextPending(pending, vmcs.guest.cr[8]) >= 0;
      m.vmEnter(vmcs);
    };
    m.vmEnter(vmcs);
    // its reserved memory: the nested tables, built here, walked by the MMU, never mapped for the guest nor changed
    const tables = { name: 'nested page tables', start: vmcs.nestedRoot, bytes: nestedTablesBytes(ctx.guestMemoryBytes), guest: 'none', changes: false } as const;
    return { vcpus: [{ onVmExit }], reservedMemory: () => [tables] };
  },
});
