import { expect } from 'chai';
import { runHost, type HostedVm } from '../../../strategies/host/cosim';
import { esxScheduler } from '../../../strategies/host/schedulers/esx';
import { hardware, hostedVm, profile } from './hosted-vm';

const MS = 1e9;
/** picoseconds of `cycles` at the modern profile's 3 GHz */
const ps = (cycles: number) => (cycles / 3e9) * 1e12;

const run = (vms: HostedVm[], cores: number, untilPs?: number) =>
  runHost({ hardware: hardware(cores, 1), scheduler: esxScheduler({ quantumMs: 1 }), governor: 'performance', vms, budget: {}, untilPs });

const counts = (vm: HostedVm) => vm.vm.cpus[0].snapshot().counts;

describe('strategies/host: VMM helper worlds', function () {
  this.timeout(120_000);

  it('runs the round trips of device-model=user on the device-model world, not on the vCPU, which waits for them', () => {
    const io = () => hostedVm('io', 'io', 6, {}, { options: { 'device-model': 'user' } });
    const alone = io();
    alone.vm.run({});
    const hosted = io();
    const o = run([{ ...hosted, deviceModelWorld: true }], 2);
    expect(o.stops[0]?.kind).to.equal('shutdown');
    expect(hosted.vm.platform.console.text()).to.equal(alone.vm.platform.console.text());
    const trips = counts(alone)['deviceModel.userRoundTrips'] as number;
    expect(trips).to.be.greaterThan(50);
    // counted as the same accesses, priced nowhere on the vCPU
    expect(counts(hosted)['deviceModel.helperRoundTrips']).to.equal(trips);
    expect(counts(hosted)['deviceModel.userRoundTrips'] ?? 0).to.equal(0);
    const cost = profile().costs.userDeviceModelRoundTrip.cycles;
    // the vCPU's own work is the lone run's less the round trips (and its halted time, which is host WAIT here)
    expect(hosted.vm.cpus[0].time).to.equal(alone.vm.cpus[0].time - (counts(alone).idleCycles as number) - trips * cost);
    // the helper ran every round trip, and finished every block request (a round trip's work each) before its interrupt
    const completions = counts(alone)['deviceModel.userCompletions'] as number;
    expect(completions).to.equal(12);
    expect(counts(hosted)['deviceModel.userCompletions']).to.equal(completions);
    const [vcpu, helper] = o.worlds;
    expect(helper.role).to.equal('device-model');
    expect(helper.times.run).to.be.closeTo(ps((trips + completions) * cost), 1);
    // the vCPU waited (blocked, not halted) while the helper ran its round trips; the completions came while it halted
    expect(vcpu.times.wait - vcpu.times.idle).to.be.at.least(ps(trips * cost) - 1);
  });

  it('times the device as the lone run does: it acts after the round trip, and its interrupt after the completion work', () => {
    const io = () => hostedVm('io', 'io', 6, {}, { options: { 'device-model': 'user' } });
    const alone = io();
    const marks: number[] = [];
    alone.vm.cpus[0].events.listen((e) => (e.kind === 'region' ? marks.push(e.t) : undefined));
    alone.vm.run({});
    const hosted = io();
    const o = run([{ ...hosted, deviceModelWorld: true }], 2);
    const r = o.regions[0];
    const hostUs = ((r.endPs as number) - (r.startPs as number)) / 1e6;
    const aloneUs = ((marks[1] - marks[0]) / profile().frequencyHz) * 1e6;
    // each of the 12 requests waits a round trip before the device starts and another before its interrupt (1.5 us each at 3 GHz):
    // acting before the round trip, or raising the interrupt at the device's deadline, would be 18 us off
    expect(hostUs).to.be.closeTo(aloneUs, 0.5);
  });

  it('with affinity of exactly its vCPUs, its helper worlds compete with the vCPUs; with one logical CPU more they run beside them', () => {
    const db = (affinity: number[]): HostedVm => ({
      ...hostedVm('db', 'pio', 3, { affinity }, { vcpus: 2, threads: 3, options: { 'device-model': 'user' } }),
      deviceModelWorld: true,
      housekeeping: { periodMs: 10, workUs: 50 },
    });
    const host = (affinity: number[]) => runHost({ hardware: hardware(4, 2), scheduler: esxScheduler(), governor: 'performance', vms: [db(affinity)], budget: {} });
    // CPU0 and CPU2 are two cores (esxi numbering), CPU4 a third
    const exact = host([0, 2]);
    const more = host([0, 2, 4]);
    for (const o of [exact, more]) expect(o.stops[0]?.kind).to.equal('shutdown');
    const ready = (o: typeof exact, role: string) => o.worlds.filter((w) => w.role === role).reduce((t, w) => t + w.times.ready, 0);
    // exactly 2: a waking vCPU finds the housekeeping world on its CPU (idle priority, it leaves within a 10 us burst), which waits for the vCPUs' idle time
    expect(ready(exact, 'vcpu')).to.be.greaterThan(0);
    expect(ready(exact, 'housekeeping')).to.be.greaterThan(ready(exact, 'vcpu'));
    // one more: the helpers run on CPU4 and nothing waits
    expect(ready(more, 'vcpu')).to.equal(0);
    expect(ready(more, 'housekeeping')).to.equal(0);
    expect(more.lcpus[4].busyPs).to.be.greaterThan(0);
    // the device-model world never waits for a time slice to end (50 ms): at most a burst's time in all
    for (const o of [exact, more]) expect(ready(o, 'device-model')).to.be.lessThan(1e6);
  });

  it('without a device-model world (run alone, or not asked for) the round trips stay priced on the vCPU', () => {
    const vm = hostedVm('io', 'io', 6, {}, { options: { 'device-model': 'user' } });
    run([vm], 2);
    expect(counts(vm)['deviceModel.userRoundTrips']).to.be.greaterThan(50);
    expect(counts(vm)['deviceModel.helperRoundTrips'] ?? 0).to.equal(0);
  });

  it('runs housekeeping at idle priority: on a spare logical CPU, never in place of a runnable vCPU', () => {
    const hk = { periodMs: 1, workUs: 100 };
    const spare = run([{ ...hostedVm('cpu', 'compute', 4000), housekeeping: hk }], 2, 5 * MS);
    const [, house] = spare.worlds;
    expect(house.role).to.equal('housekeeping');
    // five batches of 100 us, at 3 GHz
    expect(house.times.run).to.be.closeTo(5 * 100e6, 1e3);
    const busy = run([{ ...hostedVm('cpu', 'compute', 4000), housekeeping: hk }], 1, 5 * MS);
    expect(busy.worlds[1].times.run).to.equal(0);
    expect(busy.worlds[0].times.run).to.equal(busy.endPs);
  });
});
