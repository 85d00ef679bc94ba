import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { setAt } from '../../../experiments/spec/host-axis';
import { parseSpec } from '../../../experiments/spec/load';
import { expandMatrix } from '../../../experiments/spec/matrix';
import { TINY_HOST } from './tiny-host';

const expand = (spec: object) => {
  const parsed = parseSpec(JSON.stringify(spec), 'spec');
  if (isLeft(parsed)) return parsed;
  return expandMatrix(parsed.right);
};

describe('experiments/spec/host-axis', () => {
  it('expands each host entry by the product of its sweeps, after the runs, labelled with the swept settings, keyed by content', () => {
    const m = expand({
      name: 'mixed',
      strategies: [{ name: 'native' }],
      workloads: [{ name: 'syscall', params: { n: [5, 10] } }],
      profiles: ['modern'],
      hosts: [{ spec: TINY_HOST, label: 'tiny', sweep: { 'host.governor': ['performance', 'powersave'], 'vms.length': [1, 2] } }, 'experiments/host/specs/limit.json'],
    });
    if (isLeft(m)) throw new Error(m.left.join('\n'));
    expect(m.right.runs.map((r) => [r.kind, r.index])).to.deep.equal([['run', 0], ['run', 1]]);
    const hosts = m.right.hosts;
    expect(hosts.map((h) => [h.kind, h.index])).to.deep.equal([['host', 2], ['host', 3], ['host', 4], ['host', 5], ['host', 6]]);
    expect(hosts.map((h) => h.label)).to.deep.equal([
      'tiny (host.governor=performance, vms.length=1)',
      'tiny (host.governor=performance, vms.length=2)',
      'tiny (host.governor=powersave, vms.length=1)',
      'tiny (host.governor=powersave, vms.length=2)',
      'limit',
    ]);
    expect(hosts[2].hostSpec.host.governor).to.equal('powersave');
    expect(hosts[2].hostSpec.vms.map((v) => v.name)).to.deep.equal(['a']);
    expect(hosts[2].settings).to.deep.equal({ 'host.governor': 'powersave', 'vms.length': 1 });
    expect(new Set(hosts.map((h) => h.key)).size).to.equal(5);
    // the same spec gives the same keys (resume and merge rely on them)
    const again = expand({ name: 'other', strategies: [], workloads: [], profiles: [], hosts: [{ spec: TINY_HOST, label: 'tiny', sweep: { 'host.governor': ['powersave'], 'vms.length': [1] } }] });
    if (isLeft(again)) throw new Error(again.left.join('\n'));
    expect(again.right.hosts[0].key).to.equal(hosts[2].key);
    expect(again.right.hosts[0].index).to.equal(0);
  });

  it('repetitions repeat host runs with distinct keys', () => {
    const m = expand({ name: 'r', strategies: [], workloads: [], profiles: [], repetitions: 2, hosts: [{ spec: TINY_HOST }] });
    if (isLeft(m)) throw new Error(m.left.join('\n'));
    expect(m.right.hosts.map((h) => [h.label, h.repetition])).to.deep.equal([['host0', 0], ['host0', 1]]);
    expect(m.right.hosts[0].key).to.not.equal(m.right.hosts[1].key);
  });

  it('sets values by dotted path: an index, * for every element, vms.length; says why a path does not fit', () => {
    expect(setAt(TINY_HOST, 'vms.*.affinity', [0])).to.deep.equal({ _tag: 'Right', right: { ...TINY_HOST, vms: TINY_HOST.vms.map((v) => ({ ...v, affinity: [0] })) } });
    expect(setAt(TINY_HOST, 'vms.1.shares', 'high')).to.deep.equal({ _tag: 'Right', right: { ...TINY_HOST, vms: [TINY_HOST.vms[0], { ...TINY_HOST.vms[1], shares: 'high' }] } });
    expect(setAt(TINY_HOST, 'vms.2.shares', 'high')).to.deep.equal({ _tag: 'Left', left: "vms.2.shares: '2' is not an index of a list of 2 (0 to 1, or *)" });
    expect(setAt(TINY_HOST, 'vms.length', 3)).to.deep.equal({ _tag: 'Left', left: 'vms.length: expected an integer from 1 to 2 (the list\'s length), got 3' });
    expect(setAt(TINY_HOST, 'hots.governor', 'x')).to.deep.equal({ _tag: 'Left', left: "hots.governor: the host spec has no 'hots'" });
  });

  it('reports every problem with its path: bad sweep values (checked as ringlab host checks a spec), empty sweeps, unknown properties, missing files', () => {
    const m = parseSpec(
      JSON.stringify({
        name: 'bad',
        strategies: [],
        workloads: [],
        profiles: [],
        hosts: [{ spec: TINY_HOST, sweep: { 'host.governor': ['performance', 'turbo'], 'scheduler.quantumMs': [] } }, { spec: TINY_HOST, lable: 'x' }, 'no/such/host.json'],
      }),
      'bad.json',
    );
    expect(isLeft(m) && m.left).to.deep.equal([
      'bad.json: hosts[0].sweep.scheduler.quantumMs: expected at least one value to sweep, got []',
      'bad.json: hosts[1].lable: unknown property (expected one of spec, label, sweep)',
      "bad.json: hosts[2].spec: cannot read host spec 'no/such/host.json': no such file",
    ]);
    const governor = parseSpec(JSON.stringify({ name: 'bad', strategies: [], workloads: [], profiles: [], hosts: [{ spec: TINY_HOST, sweep: { 'host.governor': ['turbo'] } }] }), 'bad.json');
    expect(isLeft(governor) && governor.left.join('\n')).to.contain('hosts[0] (host.governor=turbo): host.governor:');
    const inline = parseSpec(JSON.stringify({ name: 'bad', strategies: [], workloads: [], profiles: [], hosts: [{ spec: { ...TINY_HOST, scheduler: { name: 'esx', quantumMs: -1 } } }] }), 'bad.json');
    expect(isLeft(inline) && inline.left).to.deep.equal(['bad.json: hosts[0].spec: scheduler.quantumMs: expected a positive number up to 10000, got -1']);
  });

  it('a spec with hosts may leave strategies, workloads and profiles empty; without hosts it may not; strategies need workloads', () => {
    expect(isLeft(parseSpec(JSON.stringify({ name: 'h', strategies: [], workloads: [], profiles: [], hosts: [{ spec: TINY_HOST }] }), 's'))).to.equal(false);
    const none = parseSpec(JSON.stringify({ name: 'h', strategies: [], workloads: [], profiles: [] }), 's');
    expect(isLeft(none) && none.left).to.deep.equal(['s: strategies: expected at least one strategy, got []', 's: workloads: expected at least one workload, got []', 's: profiles: expected at least one profile, got []']);
    const half = parseSpec(JSON.stringify({ name: 'h', strategies: [{ name: 'native' }], workloads: [], profiles: ['modern'], hosts: [{ spec: TINY_HOST }] }), 's');
    expect(isLeft(half) && half.left).to.deep.equal(['s: strategies, workloads: give both or neither (runs are strategies x workloads)']);
  });
});
