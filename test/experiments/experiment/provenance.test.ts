import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from '../cli/helpers';
import { FORMAT_VERSION } from '../../../experiments/common/format-version';

const ROOT = path.join(__dirname, '..', '..', '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const json = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
const rowsOf = (dir: string) => lines(path.join(dir, 'results.jsonl')).map((l) => JSON.parse(l));
const VERSION = json(path.join(ROOT, 'package.json')).version;

const SPEC = {
  name: 'prov',
  strategies: [{ name: 'native' }, { name: 'hardware-assisted' }, { name: 'paravirt' }],
  workloads: [{ name: 'syscall', params: { n: 10 } }, { name: 'ptemod', params: { n: 10 } }],
  profiles: ['netburst-2006'],
  output: { charts: ['slowdown'] },
};

describe('provenance and results format versions', function () {
  this.timeout(300_000);
  let dir: string;
  let spec: string;
  beforeEach(() => {
    dir = tmpdir();
    spec = path.join(dir, 'prov.json');
    fs.writeFileSync(spec, JSON.stringify(SPEC));
  });

  it('every result row and CSV line carries the spec hash, commit, modified flag and ringlab version; the record adds dependency versions and profile hashes', async () => {
    const out = path.join(dir, 'out');
    expect((await cli('experiment', spec, '--out', out, '--workers', '1')).code).to.equal(0);
    const m = json(path.join(out, 'experiment.json'));
    const commit = git('rev-parse', 'HEAD');
    const modified = git('status', '--porcelain', '--untracked-files=no') !== '';
    expect(m).to.include({ formatVersion: FORMAT_VERSION, commit, modified, ringlabVersion: VERSION });
    expect(m.dependencies.vega).to.equal(json(path.join(ROOT, 'node_modules', 'vega', 'package.json')).version);
    expect(m.dependencies).to.have.keys(Object.keys(json(path.join(ROOT, 'package.json')).dependencies));
    const profile = fs.readFileSync(path.join(ROOT, 'core', 'profiles', 'netburst-2006.json'));
    expect(m.profiles['netburst-2006']).to.deep.equal({ file: 'core/profiles/netburst-2006.json', sha256: createHash('sha256').update(profile).digest('hex') });
    const rows = rowsOf(out);
    expect(rows).to.have.length(6);
    for (const r of rows) expect(r).to.include({ formatVersion: FORMAT_VERSION, specHash: m.specHash, commit, modified, ringlabVersion: VERSION });
    const csv = lines(path.join(out, 'results.csv'));
    expect(csv[0].split(',').slice(0, 5)).to.deep.equal(['spec_hash', 'commit', 'modified', 'ringlab_version', 'label']);
    for (const l of csv.slice(1)) expect(l.startsWith(`${m.specHash},${commit},${modified},${VERSION},`), l).to.equal(true);
  });

  it('reruns a results directory from its record alone, with the recorded shard, into the same results', async () => {
    const first = path.join(dir, 'first');
    expect((await cli('experiment', spec, '--out', first, '--shard', '2/3', '--workers', '1')).code).to.equal(0);
    fs.rmSync(spec); // the record is all that is needed
    const again = path.join(dir, 'again');
    const r = await cli('experiment', '--from', path.join(first, 'experiment.json'), '--out', again, '--workers', '1');
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.contain('2 in shard 2/3 (from --from)');
    const strip = (row: Record<string, unknown>) => ({ ...row, host: null });
    expect(rowsOf(again).map(strip)).to.deep.equal(rowsOf(first).map(strip));
    const m = json(path.join(again, 'experiment.json'));
    expect(m).to.include({ rerunOf: path.join(first, 'experiment.json'), shardSource: '--from' });
    expect(m.shard).to.deep.equal({ k: 2, n: 3 });
    expect(m.spec).to.deep.equal(json(path.join(first, 'experiment.json')).spec);
    // a directory names its record too; what differs from the record is said
    const edited = json(path.join(first, 'experiment.json'));
    fs.writeFileSync(path.join(first, 'experiment.json'), JSON.stringify({ ...edited, commit: 'f'.repeat(40), dependencies: { ...edited.dependencies, vega: '0.0.1' } }));
    const drift = await cli('experiment', '--from', first, '--out', path.join(dir, 'drift'), '--workers', '1');
    expect(drift.code, drift.err).to.equal(0);
    expect(drift.out).to.contain(`note: rerun differs from the record: commit: recorded ${'f'.repeat(40)}`).and.contain('dependency vega: recorded "0.0.1"');
  });

  it('refuses --from with a spec or --shard, and a file that is no record', async () => {
    const first = path.join(dir, 'first');
    await cli('experiment', spec, '--out', first, '--workers', '1');
    const both = await cli('experiment', spec, '--from', first);
    expect(both.code).to.equal(2);
    expect(both.err).to.contain('either a spec file or --from');
    const sharded = await cli('experiment', '--from', first, '--shard', '1/2');
    expect(sharded.code).to.equal(2);
    expect(sharded.err).to.contain('leave out --shard');
    const notRecord = await cli('experiment', '--from', spec);
    expect(notRecord.code).to.equal(2);
    expect(notRecord.err).to.contain('is not the record of a ringlab experiment');
    expect((await cli('experiment')).err).to.contain('either a spec file or --from');
  });

  it('--resume, merge and report refuse results of another format, pointing to --from; --from reads old records', async () => {
    const old = path.join(dir, 'old');
    await cli('experiment', spec, '--out', old, '--workers', '1');
    // make it look like format 1: no versions, no row provenance, commit as one string
    const m = json(path.join(old, 'experiment.json'));
    const { formatVersion: _v, modified: _m, ringlabVersion: _r, dependencies: _d, profiles: _p, shardSource: _s, ...v1 } = m;
    fs.writeFileSync(path.join(old, 'experiment.json'), JSON.stringify({ ...v1, commit: `${m.commit}+modified` }));
    fs.writeFileSync(path.join(old, 'results.jsonl'), rowsOf(old).map(({ formatVersion: _f, specHash: _h, commit: _c, modified: _x, ringlabVersion: _y, ...row }) => JSON.stringify(row)).join('\n') + '\n');
    const hint = `ringlab experiment --from ${old}/experiment.json --out NEW_DIR`;
    const resume = await cli('experiment', spec, '--out', old, '--resume');
    expect(resume.code).to.equal(2);
    expect(resume.err).to.contain(`is in results format 1 (written before format versions); this ringlab reads format ${FORMAT_VERSION}`).and.contain(hint);
    for (const argv of [['report', old], ['merge', old, '--out', path.join(dir, 'merged')]]) {
      const r = await cli(...argv);
      expect(r.code, argv[0]).to.equal(2);
      expect(r.err, argv[0]).to.contain('results format 1').and.contain(hint);
    }
    const rerun = await cli('experiment', '--from', path.join(old, 'experiment.json'), '--out', path.join(dir, 'new'), '--workers', '1');
    expect(rerun.code, rerun.err).to.equal(0);
    expect(rowsOf(path.join(dir, 'new'))[0].formatVersion).to.equal(FORMAT_VERSION);
    // a newer format is refused too, row by row
    const rows = lines(path.join(dir, 'new', 'results.jsonl'));
    fs.writeFileSync(path.join(dir, 'new', 'results.jsonl'), [rows[0].replace(`"formatVersion":${FORMAT_VERSION}`, `"formatVersion":${FORMAT_VERSION + 1}`), ...rows.slice(1)].join('\n') + '\n');
    const newer = await cli('report', path.join(dir, 'new'));
    expect(newer.code).to.equal(2);
    expect(newer.err).to.contain(`results format ${FORMAT_VERSION + 1}, newer than this ringlab`);
  });

  it('compare records provenance too: rows, CSV, and its record with dependency versions and profile hashes; it reports progress like experiment', async () => {
    const out = path.join(dir, 'compare');
    const r = await cli('compare', '--out', out);
    expect(r.code, r.err).to.equal(0);
    // progress as periodic plain lines when stderr is not a terminal, one progress reporter for compare and experiment
    expect(r.err).to.match(/^progress: (\d+)\/\1 \(100%\) elapsed \d+s\n$/m).and.not.match(/^\[1\/\d+\]/m);
    const record = json(path.join(out, 'ringlab-compare.json'));
    expect(record).to.include({ kind: 'ringlab-compare', formatVersion: FORMAT_VERSION, commit: git('rev-parse', 'HEAD'), ringlabVersion: VERSION });
    expect(record.profiles).to.have.keys('netburst-2006', 'nehalem-2009', 'k8-2006', 'barcelona-2008');
    expect(record.dependencies['vega-lite']).to.equal('6.4.3');
    for (const row of rowsOf(out)) expect(row).to.include({ formatVersion: FORMAT_VERSION, specHash: record.specHash, commit: record.commit, ringlabVersion: VERSION });
    expect(lines(path.join(out, 'results.csv'))[1].startsWith(`${record.specHash},${record.commit},`)).to.equal(true);
  });
});
