import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { compare, comparedConfigs, handOutOrder, planComparison } from '../../../experiments/compare/compare';
import { cli, tmpdir } from '../cli/helpers';

const SILENT = { write: () => true, isTTY: false };
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

describe('compare: configurations a strategy refuses are skipped, not an abort', function () {
  this.timeout(300_000);

  it('plans every configuration on the default profiles, refusing none', () => {
    const all = comparedConfigs('netburst-2006', 'nehalem-2009');
    const plan = planComparison(all);
    expect(plan.skipped).to.deep.equal([]);
    expect(plan.run.map((c) => c.label)).to.deep.equal(all.map((c) => c.label));
  });

  it('skips nested paging on a profile without it, with the strategy\'s reason', () => {
    const all = comparedConfigs('netburst-2006', 'netburst-2006');
    const plan = planComparison(all);
    expect(plan.skipped).to.have.length(1);
    expect(plan.skipped[0].label).to.equal('hardware-assisted (nested paging, netburst-2006)');
    expect(plan.skipped[0].profile).to.equal('netburst-2006');
    expect(plan.skipped[0].reason).to.match(/nested/i);
    expect(plan.run).to.deep.equal(all.filter((c) => c.options.paging !== 'nested' || c.options.vendor === 'amd'));
    expect(plan.run).to.have.length(8);
  });

  it('runs the rest, writes their results and names the skipped configuration in the summary and the record', async () => {
    const out = path.join(tmpdir(), 'cmp');
    const text = await compare({ outDir: out, profile: 'netburst-2006', nestedProfile: 'netburst-2006', force: false, stream: SILENT, workloads: ['syscall'] });
    expect(text).to.contain('(8 runs in').and.contain('1 skipped)');
    expect(text).to.contain('skipped 1 configuration(s) the strategy refuses (not applicable; 1 run(s) not made):');
    expect(text).to.match(/ {2}hardware-assisted \(nested paging, netburst-2006\) on netburst-2006: .*nested/i);
    const header = text.split('\n').find((l) => l.startsWith('workload'))!;
    const row = text.split('\n').find((l) => l.startsWith('syscall'))!;
    expect(header).to.contain('hardware-assisted (nested paging, netburst-2006)');
    const column = header.indexOf('hardware-assisted (nested paging, netburst-2006)');
    expect(row.slice(column).trim()).to.match(/^skipped /);
    const rows = lines(path.join(out, 'results.jsonl')).map((l) => JSON.parse(l));
    expect(rows).to.have.length(8);
    expect(rows.every((r) => r.equivalent)).to.equal(true);
    const record = JSON.parse(fs.readFileSync(path.join(out, 'ringlab-compare.json'), 'utf8'));
    expect(record.skipped).to.have.length(1);
    expect(record.skipped[0]).to.include({ label: 'hardware-assisted (nested paging, netburst-2006)', profile: 'netburst-2006' });
    expect(record.configs).to.have.length(8);
    expect(fs.existsSync(path.join(out, 'slowdown.svg'))).to.equal(true);
  });

  it('an unknown profile stays bad input (exit 2), before anything is run or written', async () => {
    const out = path.join(tmpdir(), 'cmp');
    const r = await cli('compare', '--out', out, '--nested-profile', 'no-such-profile');
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('no-such-profile');
    expect(fs.existsSync(out)).to.equal(false);
  });
});

describe('compare --strategy-module', function () {
  this.timeout(300_000);

  it('compares a module\'s strategy beside the built-in ones and records the module', async () => {
    const out = path.join(tmpdir(), 'cmp-module');
    const example = path.join(__dirname, '..', '..', '..', 'experiments', 'examples', 'minimal-vmm.ts');
    const r = await cli('compare', '--out', out, '--profile', 'nehalem-2009', '--strategy-module', example);
    expect(r.code, r.err).to.equal(0);
    const header = r.out.split('\n').find((l) => l.startsWith('workload'))!;
    expect(header).to.contain('minimal-vmm');
    const rows = lines(path.join(out, 'results.jsonl')).map((l) => JSON.parse(l));
    const mine = rows.filter((x) => x.strategy === 'minimal-vmm');
    expect(mine).to.have.length(12);
    expect(mine.every((x) => x.equivalent)).to.equal(true);
    const record = JSON.parse(fs.readFileSync(path.join(out, 'ringlab-compare.json'), 'utf8'));
    expect(record.strategyModules).to.deep.equal([example]);
  });
});

describe('compare --workers', function () {
  this.timeout(300_000);

  it('gives the same results on two workers (this thread and one more, a strategy to each) as on one', async () => {
    const dirs = [1, 2].map((w) => path.join(tmpdir(), `cmp-workers-${w}`));
    const texts: string[] = [];
    for (const [i, workers] of [1, 2].entries())
      texts.push(await compare({ outDir: dirs[i], profile: 'netburst-2006', nestedProfile: 'nehalem-2009', force: false, stream: SILENT, workloads: ['syscall', 'in'], workers }));
    const strip = (l: string) => {
      const { host: _h, date: _d, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    };
    const [one, two] = dirs.map((d) => lines(path.join(d, 'results.jsonl')).map(strip));
    expect(two).to.have.length(2 * comparedConfigs('netburst-2006', 'nehalem-2009').length);
    expect(two).to.deep.equal(one);
    // the summary table is the same too (the first line carries the wall time, the last the folder)
    expect(texts[1].split('\n').slice(1, -1)).to.deep.equal(texts[0].split('\n').slice(1, -1));
  });
});

describe('compare: the order runs are handed out in on several threads', () => {
  it('puts the runs whose baselines are the native configuration\'s own runs last, each group in plan order', () => {
    const run = (strategy: string, profile: string, isa: 'default' | 'virtualizable', workload: string, index: number) =>
      ({ index, label: strategy, strategy, options: {}, workload, profile, isa }) as const;
    const runs = [
      run('native', 'netburst-2006', 'default', 'in', 0),
      run('native', 'netburst-2006', 'default', 'syscall', 1),
      run('trap-and-emulate', 'netburst-2006', 'virtualizable', 'in', 2),
      run('hardware-assisted', 'netburst-2006', 'default', 'in', 3),
      run('hardware-assisted', 'nehalem-2009', 'default', 'in', 4),
      run('paravirt', 'netburst-2006', 'default', 'syscall', 5),
      run('hardware-assisted', 'k8-2006', 'default', 'syscall', 6),
    ];
    expect(handOutOrder(runs).map((r) => r.index)).to.deep.equal([0, 1, 2, 4, 6, 3, 5]);
    expect(handOutOrder(runs.filter((r) => r.strategy !== 'native')).map((r) => r.index)).to.deep.equal([2, 3, 4, 5, 6]);
  });
});
