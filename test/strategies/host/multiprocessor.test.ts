import { expect } from 'chai';
import { runHost, type HostedVm, type HostRun } from '../../../strategies/host/cosim';
import { vcpuMetrics } from '../../../strategies/host/metrics';
import { esxScheduler, type Coscheduling } from '../../../strategies/host/schedulers/esx';
import type { World } from '../../../strategies/host/world';
import { hardware, hostedVm, type VmExtras } from './hosted-vm';

const MS = 1e9;

const run = (vms: HostedVm[], cores: number, extra: Partial<HostRun> = {}, coscheduling: Coscheduling = 'relaxed') =>
  runHost({ hardware: hardware(cores, 1), scheduler: esxScheduler({ quantumMs: 1, coscheduling, costopMs: 0.5 }), governor: 'performance', vms, budget: {}, ...extra });

const spinlock = (name: string, n: number, x: VmExtras = {}) => hostedVm(name, 'spinlock', n, {}, { vcpus: 2, threads: 2, engine: 'jit', ...x });
const compute = (name: string) => hostedVm(name, 'compute', 4000, {}, { engine: 'jit' });
const identity = (w: World) => {
  const m = vcpuMetrics(w);
  return m['%RUN'] + m['%RDY'] + m['%CSTP'] + m['%WAIT'];
};

describe('strategies/host: multiprocessor VMs on the host', function () {
  this.timeout(300_000);

  it('runs a multiprocessor VM alone on enough logical CPUs as `run` runs it: same console and exit, no co-stop', () => {
    const alone = spinlock('alone', 300);
    const ref = spinlock('ref', 300);
    const refStop = ref.vm.run({});
    const o = run([alone], 4);
    expect(o.stops[0]).to.deep.equal(refStop);
    expect(alone.vm.platform.console.text()).to.equal(ref.vm.platform.console.text());
    expect(alone.vm.platform.console.text()).to.match(/counter 600 ok/);
    // both vCPUs ran, on logical CPUs of their own, in step: their clocks end within a few percent
    const [c0, c1] = alone.vm.cpus;
    expect(c1.instructions).to.be.greaterThan(1000);
    expect(o.worlds[0].lastLcpu).to.not.equal(o.worlds[1].lastLcpu);
    expect(o.worlds.map((w) => w.times.costop)).to.deep.equal([0, 0]);
    // the host's run time is the run's (its vCPUs' clocks, at the same frequency) within a quantum's worth per switch
    expect(o.endPs / ((Math.max(ref.vm.cpus[0].time, ref.vm.cpus[1].time) / 3e9) * 1e12)).to.be.closeTo(1, 0.05);
    expect(c0.instructions).to.be.greaterThan(0);
  });

  it('wakes a halted vCPU when another sends it an IPI (ipi ping-pong completes, both vCPUs wait between pings)', () => {
    const vm = hostedVm('ping', 'ipi', 40, {}, { vcpus: 2 });
    const o = run([vm], 2);
    expect(o.stops[0]?.kind).to.equal('shutdown');
    expect(vm.vm.platform.console.text()).to.match(/ok/);
    for (const w of o.worlds) expect(identity(w)).to.be.closeTo(100, 1e-9);
    // the pinged vCPU halts between pings and wakes on each IPI at once: it waits, it is never ready
    expect(o.worlds[1].times.wait).to.be.greaterThan(0);
    expect(o.worlds[1].times.ready).to.equal(0);
  });

  it('relaxed co-scheduling co-stops only the vCPU too far ahead, while another VM holds a logical CPU', () => {
    const smp = spinlock('smp', 300_000);
    const o = run([smp, compute('solo')], 2, { untilPs: 6 * MS });
    const [v0, v1, solo] = o.worlds;
    for (const w of o.worlds) expect(identity(w), w.name).to.be.closeTo(100, 1e-9);
    expect(v0.times.costop + v1.times.costop).to.be.greaterThan(0.1 * MS);
    expect(solo.times.costop).to.equal(0);
    // relaxed: the vCPUs are not stopped as a pair
    expect(Math.abs(v0.times.costop - v1.times.costop)).to.be.greaterThan(0.1 * MS);
  });

  it('strict co-scheduling stops and starts the vCPUs of a VM together, and co-stops them more than relaxed', () => {
    const costop = (c: Coscheduling) => {
      const o = run([spinlock('smp', 300_000), compute('a'), compute('b')], 2, { untilPs: 6 * MS }, c);
      for (const w of o.worlds) expect(identity(w), w.name).to.be.closeTo(100, 1e-9);
      return o.worlds.slice(0, 2).map((w) => w.times.costop);
    };
    const strict = costop('strict');
    const relaxed = costop('relaxed');
    expect(strict[0]).to.be.greaterThan(0.5 * MS);
    // the whole VM co-stops: its vCPUs are co-stopped for the same time (within a decision's worth)
    expect(Math.abs(strict[0] - strict[1])).to.be.lessThan(0.2 * MS);
    expect(strict[0] + strict[1]).to.be.greaterThan(relaxed[0] + relaxed[1]);
  });

  it('a pause-loop exit gives the logical CPU to the descheduled lock holder (directed yield); without PLE the waiter spins out its slice', () => {
    // two vCPUs on one logical CPU: whenever the one holding the lock is descheduled, the other spins on it
    const spin = (ple: string) => {
      const smp = spinlock('smp', 1_000_000, { options: { ple } });
      const o = run([smp], 1, { untilPs: 3 * MS });
      const pauses = smp.vm.cpus.reduce((a, c) => a + ((c.snapshot().counts['spin.pauses'] as number | undefined) ?? 0), 0);
      return { yields: o.worlds[0].spinYields + o.worlds[1].spinYields, pauses };
    };
    const off = spin('off');
    const on = spin('on');
    expect(off.yields).to.equal(0);
    expect(on.yields).to.be.greaterThan(0);
    expect(off.pauses).to.be.greaterThan(10 * on.pauses);
  });

  it('the engine changes no number on the host: a multiprocessor VM beside another, strict co-scheduling, interp and jit', () => {
    const outcome = (engine: 'interp' | 'jit') => {
      const smp = spinlock('smp', 20_000, { engine });
      const o = run([smp, hostedVm('solo', 'compute', 200, {}, { engine })], 2, { untilPs: 2 * MS }, 'strict');
      return JSON.stringify({ worlds: o.worlds.map((w) => [w.times, w.charged, w.lastLcpu]), clocks: smp.vm.cpus.map((c) => [c.time, c.instructions]), end: o.endPs, energy: o.energyJoules });
    };
    expect(outcome('jit')).to.equal(outcome('interp'));
  });
});
