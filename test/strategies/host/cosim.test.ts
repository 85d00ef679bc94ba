import { expect } from 'chai';
import { runHost, type HostedVm, type HostRun } from '../../../strategies/host/cosim';
import { vcpuMetrics } from '../../../strategies/host/metrics';
import { cfsScheduler } from '../../../strategies/host/schedulers/cfs';
import { creditScheduler } from '../../../strategies/host/schedulers/credit';
import { esxScheduler } from '../../../strategies/host/schedulers/esx';
import { hardware, hostedVm } from './hosted-vm';

const MS = 1e9;

const run = (vms: HostedVm[], cores: number, threads: number, extra: Partial<HostRun> = {}) =>
  runHost({ hardware: hardware(cores, threads), scheduler: esxScheduler({ quantumMs: 1 }), governor: 'performance', vms, budget: {}, ...extra });

describe('strategies/host: the co-simulation loop', function () {
  this.timeout(120_000);

  it('accounts every world so that %RUN + %RDY + %CSTP + %WAIT = 100, with %IDLE inside %WAIT', () => {
    const vms = [hostedVm('io', 'io', 4), hostedVm('cpu', 'compute', 100)];
    const o = run(vms, 1, 1);
    // each switch of the logical CPU between the VMs is counted in the incoming vCPU's ledger, priced vmSwitch
    for (const w of o.worlds) {
      const counted = vms[w.vm].vm.cpus[0].snapshot().counts['host.vmSwitches'] as Record<string, number>;
      expect(counted['0'] ?? 0, w.name).to.equal(w.vmSwitches);
    }
    expect(o.worlds[0].vmSwitches).to.be.greaterThan(0);
    expect(o.stops.every((s) => s?.kind === 'shutdown')).to.equal(true);
    for (const w of o.worlds) {
      const m = vcpuMetrics(w);
      expect(m['%RUN'] + m['%RDY'] + m['%CSTP'] + m['%WAIT']).to.be.closeTo(100, 1e-9);
      expect(m['%IDLE']).to.be.at.most(m['%WAIT']);
    }
    const io = vcpuMetrics(o.worlds[0]);
    // the io guest waits for its disk, and is ready (not running) while the compute VM has the CPU
    expect(io['%WAIT']).to.be.greaterThan(10);
    expect(io['%RDY']).to.be.greaterThan(1);
  });

  it('gives CPU time in proportion to shares (2:1) on one logical CPU', () => {
    const o = run([hostedVm('high', 'compute', 4000, { shares: 2000 }), hostedVm('normal', 'compute', 4000, { shares: 1000 })], 1, 1, { untilPs: 12 * MS });
    const [high, normal] = o.worlds;
    expect(high.times.run / normal.times.run).to.be.closeTo(2, 0.2);
    expect(high.charged / normal.charged).to.be.closeTo(2, 0.2);
  });

  it('gives CPU time in proportion to shares under cfs too (weights)', () => {
    const o = run([hostedVm('high', 'compute', 4000, { shares: 2000 }), hostedVm('normal', 'compute', 4000, { shares: 1000 })], 1, 1, {
      untilPs: 18 * MS,
      scheduler: cfsScheduler({ latencyMs: 3, minGranularityMs: 0.5 }),
    });
    const [high, normal] = o.worlds;
    expect(high.times.run / normal.times.run).to.be.closeTo(2, 0.2);
  });

  it('delivers the ticks that fell due while a vCPU waited when it runs again, counted late', () => {
    // slices of 3 ms against a 4 ms tick (hz=250): some ticks come due while a VM waits ready
    const o = runHost({ hardware: hardware(1, 1), scheduler: esxScheduler({ quantumMs: 3 }), governor: 'performance', vms: [hostedVm('a', 'compute', 4000), hostedVm('b', 'compute', 4000)], budget: {}, untilPs: 12 * MS });
    const late = o.worlds.map((w) => w.lateTicks);
    expect(late[0] + late[1]).to.be.greaterThan(0);
    const alone = run([hostedVm('a', 'compute', 4000)], 1, 1, { untilPs: 9 * MS });
    expect(alone.worlds[0].lateTicks).to.equal(0);
  });

  it('gives CPU time in proportion to weights under credit, and boosts a waking I/O guest', () => {
    const o = run([hostedVm('high', 'compute', 4000, { shares: 2000 }), hostedVm('normal', 'compute', 4000, { shares: 1000 })], 1, 1, {
      untilPs: 18 * MS,
      scheduler: creditScheduler({ quantumMs: 1, accountingMs: 3 }),
    });
    const [high, normal] = o.worlds;
    expect(high.times.run / normal.times.run).to.be.closeTo(2, 0.25);
    // an io guest beside a CPU hog: with BOOST it waits ready far less than a slice per wake-up
    // (steps of 20 us: a wake-up is seen at the next step)
    const io = (scheduler: ReturnType<typeof creditScheduler>) =>
      vcpuMetrics(run([hostedVm('io', 'io', 4), hostedVm('hog', 'compute', 4000)], 1, 1, { scheduler, untilPs: 8 * MS, maxStepMs: 0.02 }).worlds[0]);
    expect(io(creditScheduler({ quantumMs: 5, ratelimitMs: 0 }))['%RDY']).to.be.lessThan(20);
    // Xen's default rate limit (1 ms) holds the boosted guest back until the hog has run that long
    expect(io(creditScheduler({ quantumMs: 5 }))['%RDY']).to.be.greaterThan(50);
    // esx by entitlement: the io guest booted first, so the hog stays behind it over these 8 ms
    expect(io(esxScheduler({ quantumMs: 5 }) as ReturnType<typeof creditScheduler>)['%RDY']).to.be.greaterThan(50);
  });

  it('runs a world that wakes within a step at once on an idle logical CPU of its affinity', () => {
    const o = run([hostedVm('io', 'io', 6, { affinity: [0, 1] }), hostedVm('hog', 'compute', 4000, { affinity: [0] })], 2, 1, { untilPs: 8 * MS });
    expect(o.stops[0]?.kind).to.equal('shutdown');
    expect(vcpuMetrics(o.worlds[0])['%RDY']).to.equal(0);
    expect(o.worlds[0].lastLcpu).to.equal(1);
  });

  it('lets a waking world ahead in priority preempt a running one (esx), rather than wait for its 50 ms slice to end', () => {
    const o = run([hostedVm('io', 'io', 6), hostedVm('hog', 'compute', 3000)], 1, 1, { scheduler: esxScheduler() });
    expect(o.stops.map((s) => s?.kind)).to.deep.equal(['shutdown', 'shutdown']);
    const [io, hog] = o.regions.map((r) => ((r.endPs as number) - (r.startPs as number)) / MS);
    // the I/O VM's wake-ups take the CPU from the CPU-bound one once it is behind it in charged time (12.0 ms; waiting for slices, 30.2)
    expect(io).to.be.lessThan(hog / 2);
  });

  it('runs each world only on the logical CPUs of its affinity', () => {
    const seen: [string, number][] = [];
    run([hostedVm('a', 'compute', 60, { affinity: [2] }), hostedVm('b', 'compute', 60, { affinity: [1, 3] }), hostedVm('c', 'io', 2, { affinity: [3] })], 2, 2, {
      onRun: (lcpu, w) => seen.push([w.name, lcpu]),
    });
    const allowed: Record<string, number[]> = { 'a.vcpu0': [2], 'b.vcpu0': [1, 3], 'c.vcpu0': [3] };
    expect(seen.length).to.be.greaterThan(3);
    for (const [w, l] of seen) expect(allowed[w], `${w} on ${l}`).to.include(l);
  });

  it('slows a thread whose sibling is busy to the configured fraction (CPU-bound, pinned to siblings)', () => {
    const until = 3 * MS;
    const guestCycles = (vms: HostedVm[]) => {
      run(vms, 2, 2, { untilPs: until });
      return vms[0].vm.cpus[0].time;
    };
    const lone = guestCycles([hostedVm('a', 'compute', 4000, { affinity: [0] })]);
    const pair = [hostedVm('a', 'compute', 4000, { affinity: [0] }), hostedVm('b', 'compute', 4000, { affinity: [1] })];
    const paired = runHost({ hardware: hardware(2, 2), scheduler: esxScheduler({ quantumMs: 1 }), governor: 'performance', vms: pair, budget: {}, untilPs: until });
    const apart = guestCycles([hostedVm('a', 'compute', 4000, { affinity: [0] }), hostedVm('b', 'compute', 4000, { affinity: [2] })]);
    expect(pair[0].vm.cpus[0].time / lone).to.be.closeTo(0.6, 0.01);
    expect(apart / lone).to.be.closeTo(1, 0.01);
    // esxtop charges half the time of a thread whose sibling was busy
    expect(paired.lcpus[0].chargedPs / paired.lcpus[0].busyPs).to.be.closeTo(0.5, 1e-9);
  });

  it('holds a world to its limit, the time held back shown as %MLMTD', () => {
    const o = run([hostedVm('capped', 'compute', 4000, { limit: 0.5 })], 1, 1, { untilPs: 8 * MS });
    const w = o.worlds[0];
    expect(w.charged / o.endPs).to.be.at.most(0.5 + 0.01);
    expect(w.charged / o.endPs).to.be.at.least(0.45);
    const m = vcpuMetrics(w);
    expect(m['%MLMTD']).to.be.closeTo(m['%RDY'], 1e-9);
    expect(m['%MLMTD']).to.be.greaterThan(40);
  });

  it('lowers the frequency of a mostly idle core under ondemand, stretching the guest\'s run time and saving energy', () => {
    const perf = run([hostedVm('io', 'io', 30)], 1, 1, { samplingMs: 1 });
    const od = run([hostedVm('io', 'io', 30)], 1, 1, { samplingMs: 1, governor: 'ondemand' });
    const save = run([hostedVm('io', 'io', 30)], 1, 1, { samplingMs: 1, governor: 'powersave' });
    expect(perf.averageHz).to.equal(3e9);
    expect(od.averageHz).to.be.lessThan(2.5e9);
    expect(save.averageHz).to.equal(0.8e9);
    expect(od.worlds[0].times.run).to.be.greaterThan(perf.worlds[0].times.run);
    expect(save.worlds[0].times.run).to.be.closeTo(perf.worlds[0].times.run * 3.75, perf.worlds[0].times.run * 0.01);
    // power per second is lower at the low P-state
    expect(save.energyJoules / save.endPs).to.be.lessThan(perf.energyJoules / perf.endPs);
  });
});
