/**
 * Model fidelity: one clock in modelled cycles, and each double count the review found
 * stays fixed. Small runs whose events can be reasoned about.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES } from '../../../core/cost/profile';
import { runOne, type RunSpec } from '../../../experiments/run/run-one';
import type { RunResult } from '../../../experiments/run/result';

const run = (spec: Partial<RunSpec> & { strategy: string; workload: string }): RunResult => {
  const r = runOne({ profile: 'netburst-2006', ...spec });
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  return r.right;
};
const costs = () => {
  const p = loadProfile('netburst-2006');
  if (isLeft(p)) throw new Error(p.left);
  return p.right.costs;
};
const sum = (o: Readonly<Record<string, number>>): number => Object.values(o).reduce((a, v) => a + v, 0);

describe('model fidelity', function () {
  this.timeout(120_000);

  it('the clock: total cycles are the sum of the breakdown, halted time is a cause, seconds come from the clock', () => {
    const r = run({ strategy: 'native', workload: 'io', params: { n: 8 } });
    expect(r.cycles.total).to.equal(sum(r.cycles.breakdown));
    expect(r.cycles.region).to.equal(sum(r.cycles.regionBreakdown));
    expect(r.cycles.regionBreakdown.halted).to.be.greaterThan(0);
    expect(r.seconds).to.equal(r.cycles.total / 3.8e9);
    expect(r.regionSeconds).to.equal(r.cycles.region / 3.8e9);
  });

  it('a guest timer under a costly VMM fires after fewer guest instructions than natively', () => {
    const common = { workload: 'compute', params: { n: 150 }, boot: { hz: 10_000 } } as const;
    const native = run({ strategy: 'native', ...common });
    const ta = run({ strategy: 'trap-and-emulate', isa: 'virtualizable', ...common });
    const ticks = (r: RunResult) => r.events.interrupts.by['0x20'] ?? r.events.injections.by['32'] ?? 0;
    expect(ticks(native)).to.be.greaterThan(3);
    // the same guest work takes more modelled time, so more ticks land in it
    expect(ticks(ta) / ta.guest.instructions).to.be.greaterThan(ticks(native) / native.guest.instructions);
    expect(ta.equivalent).to.equal(true);
  });

  it('VM transitions without tagged TLBs flush the TLB inside the measured round trip, not on top of it', () => {
    const r = run({ strategy: 'hardware-assisted', workload: 'syscall', params: { n: 50 } });
    const c = costs();
    expect(r.events.exits.total).to.be.greaterThan(0);
    // two flushes per exit/entry pair, none of them priced as TLB flushes
    expect(r.cycles.breakdown['TLB flushes'] ?? 0).to.equal(0);
    expect(r.cycles.breakdown['VM exits']).to.equal(r.events.exits.total * c.vmExitRoundTrip.cycles);
  });

  it('an emulated control-register write is not also priced as a native privileged instruction', () => {
    const r = run({ strategy: 'trap-and-emulate', isa: 'virtualizable', workload: 'cr8wr', params: { n: 200 } });
    const native = run({ strategy: 'native', workload: 'cr8wr', params: { n: 200 } });
    expect(native.cycles.regionBreakdown['privileged instructions']).to.equal(200 * costs().privilegedInstruction.cycles);
    expect(r.cycles.regionBreakdown['privileged instructions'] ?? 0).to.equal(0);
    expect(r.events.emulations.by.wrcr).to.be.at.least(200);
  });

  it('an interrupt a hardware-assisted VMM injects is priced once, as the hardware delivery at VM entry', () => {
    const r = run({ strategy: 'hardware-assisted', workload: 'io', params: { n: 4 } });
    const injected = Object.entries(r.events.injections.by).filter(([v]) => Number(v) >= 0x20).reduce((a, [, n]) => a + n, 0);
    expect(injected).to.be.greaterThan(0);
    expect(r.events.interrupts.total).to.equal(injected);
  });

  it('device back ends: the disk requests and console bytes of a virtualized run cost what the native run\'s do', () => {
    const native = run({ strategy: 'native', workload: 'io', params: { n: 8 } });
    const requests = native.events.io.by['out 0x1f2'];
    for (const strategy of ['binary-translation', 'hardware-assisted'] as const) {
      const vm = run({ strategy, workload: 'io', params: { n: 8 } });
      // per request the host programs the controller (3 writes) and reads its status at completion
      expect(vm.events.io.by['backend 0x1f2'], strategy).to.equal(4 * requests);
      expect(vm.events.io.by['backend 0x3f8'], strategy).to.equal(native.events.io.by['out 0x3f8']);
      expect(vm.slowdown, strategy).to.be.at.least(1);
    }
    // the paravirtual hypervisor drives the devices itself: plain port accesses
    const pv = run({ strategy: 'paravirt', workload: 'io', params: { n: 8 } });
    expect(pv.events.io.by['out 0x1f2']).to.equal(requests);
    expect(pv.events.io.by['out 0x3f8']).to.equal(native.events.io.by['out 0x3f8']);
    expect(pv.slowdown).to.be.at.least(1);
  });

  it('a user-level device model adds one priced round trip per emulated access', () => {
    const vmm = run({ strategy: 'hardware-assisted', workload: 'in', params: { n: 100 } });
    const user = run({ strategy: 'hardware-assisted', workload: 'in', params: { n: 100 }, options: { 'device-model': 'user' } });
    const price = costs().userDeviceModelRoundTrip.cycles;
    const emulated = Object.entries(user.events.io.by).filter(([k]) => k.startsWith('emulated')).reduce((a, [, n]) => a + n, 0);
    expect(user.cycles.breakdown['user-level device model']).to.equal(emulated * price);
    // the measured region: the 100 port reads and the closing marker write
    expect(user.cycles.region - vmm.cycles.region).to.equal(101 * price);
  });

  it('the hardware-assisted VMM counts its VMCS accesses: an I/O exit reads reason, qualification, length and RIP, and writes RIP', () => {
    const r = run({ strategy: 'hardware-assisted', workload: 'in', params: { n: 100 } });
    const c = costs();
    const vmcsCycles = r.cycles.regionBreakdown['VMCS accesses'];
    // per `in`: 4 reads and 1 write
    expect(vmcsCycles).to.be.at.least(100 * (4 * c.vmcsRead.cycles + c.vmcsWrite.cycles));
  });
});

describe('no virtualized run faster than native on io, compile or compute', function () {
  this.timeout(300_000);
  const configs: { strategy: string; options?: Record<string, string>; isa?: 'virtualizable' }[] = [
    { strategy: 'trap-and-emulate', isa: 'virtualizable' },
    { strategy: 'binary-translation' },
    { strategy: 'paravirt' },
    { strategy: 'hardware-assisted', options: { paging: 'shadow' } },
    { strategy: 'hardware-assisted', options: { paging: 'nested' } },
  ];
  const small = { io: 8, compile: 5, compute: 5 } as const;
  for (const profile of PROFILE_NAMES)
    it(`on ${profile}: every strategy's slowdown is at least 1`, () => {
      for (const c of configs)
        for (const [workload, n] of Object.entries(small)) {
          const r = runOne({ profile, workload, params: { n }, ...c });
          if (isLeft(r)) continue; // a profile the strategy refuses (nested paging before Nehalem)
          expect(r.right.slowdown, `${c.strategy} ${JSON.stringify(c.options ?? {})} ${workload}`).to.be.at.least(1);
        }
    });
});
