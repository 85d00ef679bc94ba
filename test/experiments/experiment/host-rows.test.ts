import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { runSpec } from '../../../experiments/experiment/in-process';
import { parseResults } from '../../../experiments/experiment/result-codec';
import { cli, tmpdir } from '../cli/helpers';
import { TINY_HOST } from '../spec/tiny-host';

/** Two runs and three host runs (a governor sweep and a second host). */
const SPEC = {
  name: 'hosty',
  strategies: [{ name: 'native' }, { name: 'hardware-assisted' }],
  workloads: [{ name: 'syscall', params: { n: 5 } }],
  profiles: ['modern'],
  hosts: [{ spec: TINY_HOST, label: 'tiny', sweep: { 'host.governor': ['performance', 'powersave'] } }, { spec: { ...TINY_HOST, vms: [TINY_HOST.vms[0]] }, label: 'alone' }],
  output: { charts: ['slowdown', 'hostTimeline', 'hostStates', 'hostEnergy'] },
};

const lines = (dir: string) => fs.readFileSync(path.join(dir, 'results.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
const rowsOf = (dir: string) => lines(dir).map((l) => JSON.parse(l) as { kind: string; index: number; key: string; label: string; vms?: unknown[]; timeline?: unknown[] });

describe('experiment: host rows', function () {
  this.timeout(300_000);
  let dir: string;
  let spec: string;
  before(() => {
    dir = tmpdir();
    spec = path.join(dir, 'hosty.json');
    fs.writeFileSync(spec, JSON.stringify(SPEC));
  });

  it('writes kind "run" and kind "host" rows (a host row is ringlab host\'s result with its timeline), host charts and a host table; resume skips done host rows', async () => {
    const out = path.join(dir, 'all');
    const r = await cli('experiment', spec, '--out', out, '--workers', '1');
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.contain('2 runs in the matrix and 3 host runs');
    const rows = rowsOf(out).sort((a, b) => a.index - b.index);
    expect(rows.map((x) => [x.index, x.kind, x.label])).to.deep.equal([
      [0, 'run', 'native'],
      [1, 'run', 'hardware-assisted'],
      [2, 'host', 'tiny (host.governor=performance)'],
      [3, 'host', 'tiny (host.governor=powersave)'],
      [4, 'host', 'alone'],
    ]);
    expect(rows[2].vms).to.have.length(2);
    expect(rows[2].timeline!.length).to.be.greaterThan(0);
    expect(isLeft(parseResults(lines(out).join('\n'), 'results.jsonl'))).to.equal(false);
    for (const c of ['slowdown', 'hostTimeline', 'hostStates', 'hostEnergy']) expect(fs.existsSync(path.join(out, 'charts', `${c}.svg`)), c).to.equal(true);
    expect(r.out).to.contain('tiny (host.governor=powersave)').and.contain('%RDY');
    // an interrupted sweep: the last host row lost; resume runs it alone
    fs.writeFileSync(path.join(out, 'results.jsonl'), `${lines(out).filter((l) => JSON.parse(l).index !== 3).join('\n')}\n`);
    const resumed = await cli('experiment', spec, '--out', out, '--resume', '--workers', '1');
    expect(resumed.code, resumed.err).to.equal(0);
    expect(resumed.err).to.contain('4 already done; running 1');
    expect(rowsOf(out).map((x) => x.index).sort()).to.deep.equal([0, 1, 2, 3, 4]);
    const report = await cli('report', out);
    expect(report.code, report.err).to.equal(0);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).to.contain('id="chart-hostTimeline"').and.contain('id="chart-hostStates"').and.contain('id="chart-hostEnergy"').and.contain('<h2>Host runs</h2>');
    expect(html).to.contain('2 runs and 3 host runs');
  });

  it('shards split runs and host runs by index (--trace writes host runs\' traces); merging the shards keeps every host row', async () => {
    const dirs = [1, 2].map((k) => path.join(dir, `shard-${k}`));
    for (const [i, d] of dirs.entries()) {
      const r = await cli('experiment', spec, '--out', d, '--shard', `${i + 1}/2`, '--workers', '1', ...(i === 0 ? ['--trace'] : []));
      expect(r.code, r.err).to.equal(0);
      expect(rowsOf(d).every((x) => x.index % 2 === i)).to.equal(true);
    }
    // --trace: a Perfetto trace per host run too, a track per logical CPU
    const traces = fs.readdirSync(path.join(dirs[0], 'traces')).sort();
    expect(traces.filter((f) => f.endsWith('-host.json'))).to.deep.equal(['000002-tiny-host.governor=performance-host.json', '000004-alone-host.json']);
    const trace = JSON.parse(fs.readFileSync(path.join(dirs[0], 'traces', '000004-alone-host.json'), 'utf8')) as { traceEvents: { ph: string; name: string; args?: { name: string } }[] };
    expect(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name)).to.deep.equal(['PCPU 0']);
    expect(new Set(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name))).to.deep.equal(new Set(['a.vcpu0']));
    const merged = await cli('merge', ...dirs, '--out', path.join(dir, 'merged'));
    expect(merged.code, merged.err).to.equal(0);
    expect(merged.out).to.not.contain('missing');
    const rows = rowsOf(path.join(dir, 'merged'));
    expect(rows.map((x) => [x.index, x.kind])).to.deep.equal([[0, 'run'], [1, 'run'], [2, 'host'], [3, 'host'], [4, 'host']]);
    expect(rows.map((x) => x.key)).to.deep.equal(rowsOf(path.join(dir, 'all')).sort((a, b) => a.index - b.index).map((x) => x.key));
  });

  it('runSpec (in process) returns the host rows beside the run rows', () => {
    const r = runSpec({ ...SPEC, hosts: [SPEC.hosts[1]] });
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    expect(r.right.rows.map((x) => x.kind)).to.deep.equal(['run', 'run']);
    expect(r.right.hostRows.map((x) => [x.kind, x.label, x.index])).to.deep.equal([['host', 'alone', 2]]);
    expect(r.right.errors).to.deep.equal([]);
  });
});
