import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { HOST_CHART_BUILDERS, hostCharts, hostInputs, stateRows, timelineRows, VCPU_STATES } from '../../../experiments/charts/host-charts';
import { renderSvg } from '../../../experiments/charts/render';
import type { HostRow } from '../../../experiments/experiment/result-codec';
import { runHostSpec, type HostRunStretch } from '../../../experiments/host/run-host';
import { parseHostSpec } from '../../../experiments/host/spec';
import { mergeStretches } from '../../../experiments/host/timeline';

const vm = (name: string, extra: object = {}) => ({ name, strategy: 'hardware-assisted', workload: 'compute', params: { n: 30 }, ...extra });
/** Three VMs on two logical CPUs, one limited: switching, ready time and %MLMTD in 2 ms. */
const SPEC = {
  host: { sockets: 1, cores: 2, threads: 1, numbering: 'esxi', profile: 'modern', governor: 'performance' },
  scheduler: { name: 'esx', quantumMs: 0.25 },
  until: { seconds: 0.002 },
  vms: [vm('a'), vm('b'), vm('c', { limitMHz: 1000 })],
};

const run = () => {
  const spec = parseHostSpec(JSON.stringify(SPEC), 'spec');
  if (isLeft(spec)) throw new Error(spec.left.join('\n'));
  const stretches: HostRunStretch[] = [];
  const r = runHostSpec(spec.right, (s) => stretches.push(s));
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  return { result: r.right, stretches };
};

const busyByLcpu = (xs: readonly { lcpu: number; length: number }[]) => xs.reduce<Record<number, number>>((m, s) => ({ ...m, [s.lcpu]: (m[s.lcpu] ?? 0) + s.length }), {});

describe('experiments/charts/host-charts', function () {
  this.timeout(120_000);
  const { result, stretches } = run();
  const timeline = mergeStretches(stretches);
  const input = { label: 'three on two', result, timeline };

  it('the timeline joins back-to-back stretches of a world on a logical CPU: fewer bars, the same busy time per logical CPU, which is its %UTIL', () => {
    expect(timeline.length).to.be.greaterThan(2).and.lessThan(stretches.length);
    const raw = busyByLcpu(stretches.map((s) => ({ lcpu: s.lcpu, length: (s.endPs - s.startPs) / 1e9 })));
    const rows = timelineRows([input]);
    expect(rows.every((r) => r.host === 'three on two')).to.equal(true);
    const merged = busyByLcpu(rows.map((s) => ({ lcpu: s.lcpu, length: s.endMs - s.startMs })));
    expect(Object.keys(merged)).to.deep.equal(['0', '1']);
    for (const l of [0, 1]) {
      expect(merged[l]).to.be.closeTo(raw[l], 1e-9);
      expect((100 * merged[l]) / (result.seconds * 1e3)).to.be.closeTo(result.pcpus[l]['%UTIL'], 0.001);
    }
    // no two bars of one logical CPU overlap
    for (const l of [0, 1]) {
      const lane = rows.filter((r) => r.lcpu === l);
      lane.slice(1).forEach((r, i) => expect(r.startMs).to.be.at.least(lane[i].endMs));
    }
    const chart = HOST_CHART_BUILDERS.hostTimeline([input]) as unknown as { data: { values: { world: string; pcpu: string }[] } };
    expect(chart.data.values).to.have.length(rows.length);
    // the vCPUs, and a housekeeping world that ran on a logical CPU left idle
    expect([...new Set(chart.data.values.map((v) => v.world))].sort().filter((w) => w.endsWith('.vcpu0'))).to.deep.equal(['a.vcpu0', 'b.vcpu0', 'c.vcpu0']);
    expect(chart.data.values.every((v) => /\.(vcpu0|housekeeping)$/.test(v.world))).to.equal(true);
  });

  it("the states chart stacks each vCPU's %RUN, %RDY (its %MLMTD apart), %CSTP and %WAIT to 100", () => {
    const rows = stateRows([input]);
    expect(rows).to.have.length(3 * VCPU_STATES.length);
    for (const v of ['a.vcpu0', 'b.vcpu0', 'c.vcpu0']) expect(rows.filter((r) => r.vcpu === v).reduce((s, r) => s + r.percent, 0)).to.be.closeTo(100, 0.01);
    const c = result.vms[2].perVcpu[0];
    expect(c['%MLMTD']).to.be.greaterThan(0);
    expect(rows.find((r) => r.vcpu === 'c.vcpu0' && r.state === '%MLMTD')!.percent).to.equal(c['%MLMTD']);
    const chart = HOST_CHART_BUILDERS.hostStates([input]) as unknown as { data: { values: unknown[] } };
    expect(chart.data.values).to.have.length(rows.length);
  });

  it('the energy chart compares host rows (in experiment order) that differ only by governor, a panel per such group; none without two governors', async () => {
    const row = (label: string, governor: string, energyJoules: number, cores = 2, index = 0) =>
      ({ ...result, kind: 'host', label, index, repetition: 0, governor, energyJoules, hostSpec: { ...SPEC, host: { ...SPEC.host, governor, cores } }, timeline }) as unknown as HostRow;
    const rows = [row('y', 'performance', 3, 4, 2), row('x (host.governor=powersave)', 'powersave', 2, 2, 1), row('x (host.governor=performance)', 'performance', 1, 2, 0)];
    const inputs = hostInputs(rows);
    expect(inputs.map((i) => i.group)).to.deep.equal(['x', 'x', 'y']);
    const charts = hostCharts(rows);
    expect(charts.map((c) => c.name)).to.deep.equal(['hostTimeline', 'hostStates', 'hostEnergy']);
    const energy = charts[2].spec as unknown as { data: { values: { host: string; governor: string; energyJoules: number; progress: number }[] } };
    expect(energy.data.values.map((v) => [v.host, v.governor, v.energyJoules])).to.deep.equal([['x', 'performance', 1], ['x', 'powersave', 2]]);
    expect(energy.data.values[0].progress).to.equal(result.vms.reduce((s, v) => s + v.progress, 0));
    expect(hostCharts([rows[1], rows[2]]).map((c) => c.name)).to.deep.equal(['hostTimeline', 'hostStates', 'hostEnergy']);
    expect(hostCharts([rows[0], rows[2]]).map((c) => c.name)).to.deep.equal(['hostTimeline', 'hostStates']);
    for (const c of charts) expect(await renderSvg(c.spec)).to.match(/^<svg/);
  });
});
