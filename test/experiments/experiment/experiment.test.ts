import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from '../cli/helpers';

const SPEC = {
  name: 'tiny',
  description: 'a small matrix for tests',
  strategies: [{ name: 'native' }, { name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } }],
  workloads: [{ name: 'syscall', params: { n: [10, 20] } }, { name: 'ptemod', params: { n: 10 } }],
  profiles: ['netburst-2006', 'nehalem-2009'],
  output: { charts: ['slowdown', 'breakdown', 'exits', 'sweep'], sweep: 'params.n' },
};

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

describe('CLI: experiment, merge', function () {
  this.timeout(300_000);
  let dir: string;
  let spec: string;
  beforeEach(() => {
    dir = tmpdir();
    spec = path.join(dir, 'tiny.json');
    fs.writeFileSync(spec, JSON.stringify(SPEC));
  });

  it('runs the matrix on worker threads, skipping inapplicable combinations, and writes results, CSV and charts', async () => {
    const out = path.join(dir, 'out');
    const r = await cli('experiment', spec, '--out', out, '--workers', '2');
    expect(r.code, r.err + r.out).to.equal(0);
    expect(r.err).to.match(/: 15 runs in the matrix; running 15 on 2 workers -> .*; estimated time under a second \(a rough figure: ~0\.1 s per run per worker\)\n/);
    // native: 3 workload points x 2 profiles; HW shadow: 3 x 2; HW nested: 3 x 1 (netburst has no nested paging)
    const rows = lines(path.join(out, 'results.jsonl')).map((l) => JSON.parse(l));
    expect(rows).to.have.length(15);
    expect(r.out).to.contain('skipped (not applicable): 1 combination(s) a strategy refuses, not run:').and.contain("  hardware-assisted (paging=nested) on netburst-2006: ");
    expect(fs.readFileSync(path.join(out, 'summary.txt'), 'utf8')).to.contain('skipped (not applicable): 1 combination(s)').and.contain('hardware-assisted (paging=nested) on netburst-2006: ');
    expect(new Set(rows.map((x) => x.index)).size).to.equal(15);
    for (const row of rows) {
      expect(row.equivalent, `${row.label} ${row.workload}`).to.equal(true);
      expect(row.experiment).to.equal('tiny');
      expect(row.seed).to.equal(1);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'experiment.json'), 'utf8'));
    expect(manifest).to.include.keys('spec', 'specHash', 'commit', 'host', 'seed', 'started');
    expect(lines(path.join(out, 'results.csv'))).to.have.length(16);
    for (const c of ['slowdown', 'breakdown', 'exits', 'sweep']) {
      const svg = fs.readFileSync(path.join(out, 'charts', `${c}.svg`), 'utf8');
      expect(svg, c).to.match(/^<svg/).and.contain('<text');
      expect(fs.statSync(path.join(out, 'charts', `${c}.png`)).size, c).to.be.greaterThan(5000);
    }
  });

  it('refuses to overwrite results unless asked; --resume skips what is done, also after an interrupted write', async () => {
    const out = path.join(dir, 'out');
    await cli('experiment', spec, '--out', out, '--workers', '1');
    const again = await cli('experiment', spec, '--out', out);
    expect(again.code).to.equal(2);
    expect(again.err).to.contain('already holds 15 result(s) of tiny; pass --resume to continue it, or --force to start over');
    // simulate an interruption: drop the last 4 rows and tear the line before them
    const all = lines(path.join(out, 'results.jsonl'));
    fs.writeFileSync(path.join(out, 'results.jsonl'), all.slice(0, 10).join('\n') + '\n' + all[10].slice(0, 40));
    const resumed = await cli('experiment', spec, '--out', out, '--resume', '--workers', '1');
    expect(resumed.code, resumed.err).to.equal(0);
    expect(resumed.err).to.contain('10 already done; running 5');
    expect(resumed.out).to.contain('dropped a partly written last line');
    const rows = lines(path.join(out, 'results.jsonl')).map((l) => JSON.parse(l));
    expect(rows).to.have.length(15);
    expect(new Set(rows.map((x) => x.key)).size).to.equal(15);
    const forced = await cli('experiment', spec, '--out', out, '--force', '--workers', '2');
    expect(forced.code).to.equal(0);
    expect(lines(path.join(out, 'results.jsonl'))).to.have.length(15);
  });

  it("refuses a directory holding another experiment's results, or anything else, without --force", async () => {
    const out = path.join(dir, 'out');
    await cli('experiment', spec, '--out', out, '--workers', '1');
    const other = path.join(dir, 'other.json');
    fs.writeFileSync(other, JSON.stringify({ ...SPEC, name: 'other', workloads: [{ name: 'in', params: { n: 5 } }] }));
    const r = await cli('experiment', other, '--out', out, '--resume');
    expect(r.code).to.equal(2);
    expect(r.err).to.contain("holds results of experiment 'tiny'").and.contain('--resume continues only the same experiment');
    const before = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8');
    expect(fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8')).to.equal(before);
    const user = path.join(dir, 'mine');
    fs.mkdirSync(user);
    fs.writeFileSync(path.join(user, 'notes.txt'), 'precious');
    const u = await cli('experiment', spec, '--out', user);
    expect(u.code).to.equal(2);
    expect(u.err).to.contain('not empty and holds no ringlab experiment');
    expect(fs.readFileSync(path.join(user, 'notes.txt'), 'utf8')).to.equal('precious');
  });

  it('shards deterministically and merges shards into the full result set', async () => {
    const a = await cli('experiment', spec, '--out', path.join(dir, 's1'), '--shard', '1/2', '--workers', '1');
    const b = await cli('experiment', spec, '--out', path.join(dir, 's2'), '--shard', '2/2', '--workers', '1');
    expect(a.code + b.code).to.equal(0);
    const r1 = lines(path.join(dir, 's1', 'results.jsonl')).map((l) => JSON.parse(l).index);
    const r2 = lines(path.join(dir, 's2', 'results.jsonl')).map((l) => JSON.parse(l).index);
    expect(r1.every((i: number) => i % 2 === 0) && r2.every((i: number) => i % 2 === 1)).to.equal(true);
    expect(r1.length + r2.length).to.equal(15);
    const m = await cli('merge', path.join(dir, 's1'), path.join(dir, 's2'), '--out', path.join(dir, 'merged'));
    expect(m.code, m.err).to.equal(0);
    expect(m.out).to.contain('merged 15 result(s) from 2 directories');
    expect(lines(path.join(dir, 'merged', 'results.jsonl')).map((l) => JSON.parse(l).index)).to.deep.equal([...Array(15).keys()]);
    const partial = await cli('merge', path.join(dir, 's1'), '--out', path.join(dir, 'half'));
    expect(partial.out).to.contain('run(s) of the matrix are missing');
  });

  it('refuses to merge a directory twice, the same shard twice, or shards of different splits', async () => {
    const small = path.join(dir, 'small.json');
    fs.writeFileSync(small, JSON.stringify({ name: 'small', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall', params: { n: [10, 20, 30] } }], profiles: ['modern'] }));
    const d = (name: string) => path.join(dir, name);
    for (const [shard, out] of [['1/2', 'a'], ['2/2', 'b'], ['1/3', 'c']]) expect((await cli('experiment', small, '--shard', shard, '--out', d(out), '--workers', '1')).code).to.equal(0);
    expect((await cli('experiment', small, '--out', d('all'), '--workers', '1')).code).to.equal(0);
    fs.cpSync(d('a'), d('a-copy'), { recursive: true });
    const cases: [string[], string][] = [
      [[d('a'), d('b'), d('a')], `'${d('a')}' is given twice`],
      [[d('a'), `${d('a')}/`], `'${d('a')}/' is given twice (also as '${d('a')}')`],
      [[d('a'), d('a-copy')], `'${d('a')}' and '${d('a-copy')}' both hold shard 1/2`],
      [[d('a'), d('c')], `these are shards of different splits (different N in k/N): ${d('a')} (shard 1/2), ${d('c')} (shard 1/3)`],
      [[d('a'), d('all')], `${d('all')} (the whole experiment) is not a shard`],
    ];
    for (const [dirs, message] of cases) {
      const r = await cli('merge', ...dirs, '--out', d('merged'));
      expect(r.code, message).to.equal(2);
      expect(r.err, message).to.contain(`ringlab: cannot merge: ${message}`);
      expect(fs.existsSync(d('merged')), message).to.equal(false);
    }
    const ok = await cli('merge', d('a'), d('b'), '--out', d('merged'));
    expect(ok.out).to.contain('merged 3 result(s) from 2 directories');
  });

  it('reports every problem of a malformed spec at once, as path: expected X, got Y', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({ name: 3, strategies: [{ name: 'native', optoins: {} }, { name: 'vmware' }], workloads: [{ name: 'syscall', params: { n: 'many' } }], profiles: ['netburst-2006'], repetitions: 0 }),
    );
    const r = await cli('experiment', bad, '--out', path.join(dir, 'x'));
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('name: expected string, got 3');
    expect(r.err).to.contain('strategies[0].optoins: unknown property');
    expect(r.err).to.contain('workloads[0].params.n: expected number');
    expect(fs.existsSync(path.join(dir, 'x'))).to.equal(false);
    const semantic = path.join(dir, 'semantic.json');
    fs.writeFileSync(semantic, JSON.stringify({ ...SPEC, strategies: [{ name: 'vmware' }, { name: 'hardware-assisted', options: { paging: 'magic' } }], profiles: ['pentium'] }));
    const s = await cli('experiment', semantic);
    expect(s.err).to.contain("unknown profile 'pentium'");
    fs.writeFileSync(semantic, JSON.stringify({ ...SPEC, strategies: [{ name: 'vmware' }, { name: 'hardware-assisted', options: { paging: 'magic' } }] }));
    const t = await cli('experiment', semantic);
    expect(t.err).to.contain("strategies[0].name: unknown strategy 'vmware'").and.contain('option paging=magic');
    fs.writeFileSync(semantic, '{ "name": "x", ');
    expect((await cli('experiment', semantic)).err).to.contain('not valid JSON');
    expect((await cli('experiment', path.join(dir, 'missing.json'))).err).to.contain('no such file');
  });

  it('refuses a spec whose name would lead the output outside out/', async () => {
    // from a working directory inside the test's own: were the name accepted, the output would still land there
    const cwd = path.join(dir, 'cwd');
    fs.mkdirSync(cwd);
    const escape = path.join(dir, 'escape.json');
    fs.writeFileSync(escape, JSON.stringify({ ...SPEC, name: '../../escaped' }));
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const r = await cli('experiment', escape, '--workers', '1');
      expect(r.code).to.equal(2);
      expect(r.err).to.contain(`${escape}: name: expected a file name`);
    } finally {
      process.chdir(previous);
    }
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['cwd', 'escape.json', 'tiny.json']);
    expect(fs.readdirSync(cwd)).to.deep.equal([]);
  });

  it('refuses bad shard specs', async () => {
    for (const s of ['3/2', '0/2', 'a/b', '1/0']) {
      const r = await cli('experiment', spec, '--shard', s, '--out', path.join(dir, 'z'));
      expect(r.code, s).to.equal(2);
      expect(r.err, s).to.contain('--shard');
    }
  });

  it('a worker thread that dies in a run fails that run only; the others finish and are kept', async () => {
    const crash = path.join(dir, 'crash.json');
    fs.writeFileSync(crash, JSON.stringify({ name: 'crash', strategies: [{ name: 'native' }, { name: 'exiting' }], workloads: [{ name: 'syscall', params: { n: 5 } }, { name: 'in', params: { n: 5 } }], profiles: ['netburst-2006'], output: { charts: [] } }));
    const module = path.join(__dirname, '..', '..', 'fixtures', 'exiting-strategy.ts');
    const r = await cli('experiment', crash, '--out', path.join(dir, 'crash'), '--workers', '2', '--strategy-module', module);
    expect(r.code).to.equal(1);
    expect(r.out).to.contain('errors:').and.contain('run 2 (exiting, syscall): the worker thread failed').and.contain('run 3 (exiting, in): the worker thread failed');
    expect(lines(path.join(dir, 'crash', 'results.jsonl')).map((l) => JSON.parse(l).index).sort()).to.deep.equal([0, 1]);
  });
});
