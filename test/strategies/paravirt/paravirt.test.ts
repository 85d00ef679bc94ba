/**
 * The `paravirt` strategy end to end: exact counts of hypervisor entries on small runs, the
 * effect of each option emerging from the counted events, equivalence with native on every
 * workload in every option combination, and refusals of images it cannot run.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { runOne } from '../../../experiments/run/run-one';
import { loadProfile } from '../../../core/cost/profile';
import { bootImage } from '../../../core/guest/boot-image';
import { WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from '../../../core/guest/workloads';
import { paravirt } from '../../../strategies/paravirt/paravirt';
import { STRATEGIES } from '../../../strategies/registry';
import { entries, pvOptions, right, runPv, runPvImage, runPvProgram, startPv, total } from './harness';
import { vmmCountsOf } from '../vmm-counts';

const smallN = (w: WorkloadName): number => Math.max(WORKLOADS[w].params.n.min, Math.min(WORKLOADS[w].params.n.default, 30));

/** Native's region cycles of a workload (runOne's cached baseline). */
const native = (workload: WorkloadName, n: number) => {
  const r = runOne({ strategy: 'native', workload, params: { n }, profile: 'netburst-2006' });
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  return r.right;
};

describe('paravirt strategy', function () {
  this.timeout(120_000);

  it('is registered, declares the paravirtual build and its two options', () => {
    expect(STRATEGIES.paravirt).to.equal(paravirt);
    expect(paravirt.kernelBuild).to.equal('paravirt');
    expect(Object.keys(paravirt.options)).to.deep.equal(['batching', 'fastsyscall']);
    expect(paravirt.kernelOptions?.(pvOptions({ batching: 'off' }))).to.deep.equal({ batching: false });
  });

  describe('exact counts: syscall with n = 10 (k = 5 other system calls)', () => {
    const n = 10;
    const k = (WORKLOADS.syscall.syscalls(n) ?? 0) - n;

    it('fastsyscall=on: no int 0x80 enters the hypervisor; n + k are delivered by the hardware', () => {
      const r = runPv('syscall', n, { fastsyscall: 'on' });
      expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
      expect(r.vmm.traps['int 0x80'] ?? 0).to.equal(0);
      expect(r.vmm.directSyscalls).to.equal(n + k);
      expect(r.all.machine.softwareInterrupts[0x80]).to.equal(n + k);
      // each returns to user mode through the hypercall page's real IRET, not the iret hypercall
      expect(r.vmm.hypercalls.iret ?? 0).to.be.below(5);
      expect(r.all.machine.irets).to.be.at.least(n + k);
      expect(r.all.machine.retiredByRing[0]).to.equal(0);
    });

    it('fastsyscall=off: each of the n + k system calls is bounced by the hypervisor', () => {
      const r = runPv('syscall', n, { fastsyscall: 'off' });
      expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
      expect(r.vmm.traps['int 0x80']).to.equal(n + k);
      expect(r.vmm.injections[0x80]).to.equal(n + k);
      expect(r.vmm.directSyscalls).to.equal(0);
      expect(r.all.machine.softwareInterrupts[0x80] ?? 0).to.equal(0);
    });

    it('the measured region holds n getpid calls and the closing mark call', () => {
      const on = runPv('syscall', n, { fastsyscall: 'on' });
      expect(on.region.vmm.directSyscalls).to.equal(n + 1);
      const off = runPv('syscall', n, { fastsyscall: 'off' });
      expect(off.region.vmm.traps['int 0x80']).to.equal(n + 1);
    });
  });

  it('fast system calls bring syscall near native: entry by the hardware, return through the hypercall page', () => {
    const n = 200;
    const base = native('syscall', n).cycles.region;
    const on = runPv('syscall', n, { fastsyscall: 'on' });
    const off = runPv('syscall', n, { fastsyscall: 'off' });
    const p = right(loadProfile('netburst-2006')).costs;
    expect(on.regionCycles.breakdown['monitor traps'] ?? 0).to.be.lessThan(off.regionCycles.breakdown['monitor traps']! / 20);
    expect(on.regionCycles.total).to.be.lessThan(off.regionCycles.total);
    // per call: native enters by SYSENTER and returns by SYSEXIT; paravirt (Xen's 32-bit guests)
    // enters by int 0x80 through the real IDT and returns by IRET from the hypercall page
    const extraPerCall = (on.regionCycles.total - base) / n;
    const gatePath = p.softwareInterrupt.cycles + p.iret.cycles - p.sysenter.cycles - p.sysexit.cycles;
    expect(extraPerCall).to.be.within(gatePath - 60, gatePath + 60);
    // off adds a whole trap round trip per call and the bounce into the guest kernel, in place of the hardware's gate
    expect((off.regionCycles.total - on.regionCycles.total) / n).to.be.closeTo(p.monitorTrapRoundTrip.cycles + p.trapBounce.cycles - p.softwareInterrupt.cycles, 60);
  });

  it('batching=on: forkwait makes far fewer mmu_update hypercalls and fewer hypervisor entries', () => {
    const n = 20;
    const on = runPv('forkwait', n, { batching: 'on' });
    const off = runPv('forkwait', n, { batching: 'off' });
    for (const r of [on, off]) expect(r.output).to.equal(WORKLOADS.forkwait.expected(n));
    expect(on.vmm.hypercallUpdates).to.equal(off.vmm.hypercallUpdates);
    expect(off.vmm.hypercalls.mmu_update).to.equal(off.vmm.hypercallUpdates);
    // per fork: 6 updates (4 directory entries, 2 copied pages) in 2 calls instead of 6
    expect(on.region.vmm.hypercalls.mmu_update * 3).to.equal(off.region.vmm.hypercalls.mmu_update);
    expect(on.vmm.hypercalls.multicall).to.be.greaterThan(0);
    expect(off.vmm.hypercalls.multicall ?? 0).to.equal(0);
    expect(entries(on.region.vmm)).to.be.lessThan(entries(off.region.vmm));
    expect(on.regionCycles.total).to.be.lessThan(off.regionCycles.total);
  });

  it('prices every hypercall and update from the profile', () => {
    const r = runPv('ptemod', 50);
    const p = right(loadProfile('netburst-2006')).costs;
    expect(r.regionCycles.breakdown.hypercalls).to.equal(total(r.region.vmm.hypercalls) * p.hypercall.cycles);
    expect(r.regionCycles.breakdown['hypercall updates']).to.equal(r.region.vmm.hypercallUpdates * p.hypercallPerUpdate.cycles);
    expect(r.region.vmm.hypercalls.mmu_update).to.equal(50);
    expect(r.region.vmm.hypercalls.invlpg).to.equal(50);
  });

  describe('equivalence with native on every workload', () => {
    for (const w of WORKLOAD_NAMES)
      it(`${w}: default options through runOne`, () => {
        const n = smallN(w);
        const r = runOne({ strategy: 'paravirt', workload: w, params: { n }, profile: 'netburst-2006' });
        if (isLeft(r)) throw new Error(r.left.join('\n'));
        expect(r.right.divergence).to.equal(null);
        expect(r.right.equivalent).to.equal(true);
        expect(r.right.exitCode).to.equal(0);
        expect(r.right.console).to.equal(WORKLOADS[w].expected(n));
        expect(r.right.guest.byRing[0]).to.equal(0);
        expect(r.right.events.hypercalls.by.unknown ?? 0).to.equal(0);
      });

    for (const w of WORKLOAD_NAMES)
      it(`${w}: batching=off, fastsyscall=off`, () => {
        const n = smallN(w);
        const r = runPv(w, n, { batching: 'off', fastsyscall: 'off' });
        const base = native(w, n);
        expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
        expect(r.output).to.equal(base.console);
        expect(r.result.exitCode).to.equal(0);
        expect([...r.result.bytes]).to.deep.equal([...WORKLOADS[w].expectedResult(n)]);
        expect(r.vmm.validationFailures).to.equal(0);
      });
  });

  describe('bad input', () => {
    it('refuses a kernel that is not the paravirtual build, with a clear message', () => {
      const r = runOne({
        strategy: 'paravirt',
        strategyImpl: { ...paravirt, kernelBuild: 'native' },
        workload: 'syscall',
        params: { n: 1 },
        profile: 'netburst-2006',
      });
      expect(isLeft(r) && r.left.join('\n')).to.match(/not the paravirtual build.*paravirtual bit/);
    });

    it('refuses a paravirtual kernel built without the batching its options name', () => {
      const image = right(bootImage({ workload: 'syscall', n: 1, build: 'paravirt', kernel: { batching: true } }));
      expect(() => startPv(image, pvOptions({ batching: 'off' }))).to.throw(/PV_BATCHING=0.*kernelOptions/);
    });

    it('a vmcall from user mode is what it is natively, #UD: the process is killed (139)', () => {
      const r = runPvProgram('.include "../lib/user.s"\nmain:\n        li r1, 12\n        vmcall\n        li r1, 0\n        ret\n');
      expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
      expect(r.vmm.traps['user vmcall']).to.equal(1);
      expect(r.vmm.hypercalls.shutdown).to.equal(1); // the kernel's own, not the user's
    });

    it('a bad mmu_update through the real dispatch gets an error in r1 and counts a validation failure', () => {
      // the shipped kernel never makes a bad update: make one through the vmcall path after a run
      const r = runPvImage(right(bootImage({ workload: 'syscall', n: 1, build: 'paravirt' })), pvOptions());
      const before = r.vmm.validationFailures;
      r.m.memory.write32(0x00307800, 0x00300000 + 4 * 0x3fe);
      r.m.memory.write32(0x00307804, 0x00301000 | 3);
      r.m.cpl = 1;
      r.m.regs.set([0, 2, 0x00307800, 1], 0);
      r.hv.onTrap({ kind: 'vmcall', pc: 0x100, nextPc: 0x104 });
      expect(r.m.regs[1]).to.be.lessThan(0);
      expect(vmmCountsOf(r.m).validationFailures).to.equal(before + 1);
    });
  });
});
