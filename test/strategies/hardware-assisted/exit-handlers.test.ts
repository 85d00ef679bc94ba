/**
 * The exit handlers fed synthetic exits directly (as Firecracker's tests do), and the
 * strategy's refusal of exits it has no handler for.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';

import { uniprocessor } from '../../../core/platform/uniprocessor';
import { loadProfile } from '../../../core/cost/profile';
import { VMM_COUNTERS } from '../../../strategies/shared/counters';
import { DeviceModel } from '../../../strategies/shared/device-model';
import { VMCS_COUNTERS } from '../../../strategies/hardware-assisted/vmcs-access';
import { Flag } from '../../../core/isa/table';
import type { VmExit } from '../../../core/vmx/exits';
import { createVmcs } from '../../../core/vmx/vmcs';
import { EXIT_HANDLERS, type ExitContext } from '../../../strategies/hardware-assisted/exit-handlers';
import { hardwareAssisted } from '../../../strategies/hardware-assisted/hardware-assisted';
import { countsOf } from '../../core/counts';
import { vmmCountsOf } from '../vmm-counts';

const context = (): ExitContext => {
  const m = uniprocessor({ memoryBytes: 1 << 20 });
  m.ledger.declare(VMM_COUNTERS);
  m.ledger.declare(VMCS_COUNTERS);
  return { m, vmcs: createVmcs(0x100), pager: null, guestCr: { cr0: 0, cr3: 0 }, pending: [], tprShadow: true, devices: new DeviceModel('vmm') };
};

describe('hardware-assisted: exit handlers', () => {
  it('io: an OUT is emulated on the device model and the guest resumes after it', () => {
    const c = context();
    c.vmcs.guest.regs[3] = 0x41;
    EXIT_HANDLERS.io(c, { reason: 'io', pc: 0x100, nextPc: 0x104, port: 0x3f8, direction: 'out', register: 3 });
    expect(c.m.platform.console.text()).to.equal('A');
    expect(c.vmcs.guest.pc).to.equal(0x104);
    expect(vmmCountsOf(c.m).emulations).to.deep.equal({ 'io out': 1 });
    expect(countsOf(c.m).io).to.deep.equal({ in: {}, out: {}, emulated: { 'out 1016': 1 } });
  });

  it('io: an IN writes the guest register, never r0', () => {
    const c = context();
    EXIT_HANDLERS.io(c, { reason: 'io', pc: 0, nextPc: 4, port: 0x3f9, direction: 'in', register: 0 });
    expect(c.vmcs.guest.regs[0]).to.equal(0);
    EXIT_HANDLERS.io(c, { reason: 'io', pc: 0, nextPc: 4, port: 0x3f9, direction: 'in', register: 5 });
    expect(c.vmcs.guest.regs[5]).to.equal(1);
  });

  it('hlt with interrupts disabled stops the run; with interrupts enabled it waits, or injects what is pending', () => {
    const c = context();
    EXIT_HANDLERS.hlt(c, { reason: 'hlt', pc: 0x100, nextPc: 0x104 });
    expect(c.m.stopReason).to.deep.equal({ kind: 'halted', pc: 0x100 });
    const d = context();
    d.vmcs.guest.flags = Flag.IF;
    EXIT_HANDLERS.hlt(d, { reason: 'hlt', pc: 0x100, nextPc: 0x104 });
    expect(d.vmcs.activityHalted).to.equal(true);
    const e = context();
    e.vmcs.guest.flags = Flag.IF;
    e.pending.push(0x20);
    EXIT_HANDLERS.hlt(e, { reason: 'hlt', pc: 0x100, nextPc: 0x104 });
    expect(e.vmcs.injection).to.deep.equal({ vector: 0x20, type: 'external' });
    expect(e.vmcs.activityHalted).to.equal(false);
  });

  it('external-interrupt acknowledges the interrupt controller and queues the vector; injection waits for IF', () => {
    const c = context();
    c.m.raiseIrq(0);
    EXIT_HANDLERS['external-interrupt'](c, { reason: 'external-interrupt', pc: 0 });
    expect(c.pending).to.deep.equal([0x20]);
    expect(c.m.pic.inService).to.equal(1);
  });

  it('vmcall without a hypercall interface is an invalid opcode to the guest; ept-violation a #GP', () => {
    const c = context();
    EXIT_HANDLERS.vmcall(c, { reason: 'vmcall', pc: 0x200, nextPc: 0x204 });
    expect(c.vmcs.injection).to.deep.include({ vector: 6, type: 'exception' });
    expect(c.vmcs.guest.pc).to.equal(0x200);
    const d = context();
    EXIT_HANDLERS['ept-violation'](d, { reason: 'ept-violation', pc: 0, guestPhysical: 0x9000000, access: 'read' });
    expect(d.vmcs.injection).to.deep.include({ vector: 13, errorCode: 0 });
  });

  it('an exit with a reason the VMM has no handler for ends the run with an internal error, never silently', () => {
    const p = loadProfile('nehalem-2009');
    if (isLeft(p)) throw new Error(p.left);
    const m = uniprocessor({ memoryBytes: 12 << 20 });
    const vmm = hardwareAssisted.start({ platform: m.platform, cpus: [m], profile: p.right, options: { paging: 'nested', 'tpr-shadow': 'auto', 'shadow-cache': 8, 'device-model': 'vmm', vendor: 'intel', ple: 'off', 'ple-gap': 128, 'ple-window': 4096 }, guestMemoryBytes: 8 << 20, entry: 0 });
    vmm.vcpus[0].onVmExit!({ reason: 'mystery', pc: 0 } as unknown as VmExit);
    expect(m.stopReason).to.deep.equal({ kind: 'stopped', detail: "internal error: VM exit with unknown reason 'mystery'" });
  });
});
