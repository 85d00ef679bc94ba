import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { compareTable } from '../../../experiments/validation/compare-published';
import { loadPublishedTable, shippedTables } from '../../../experiments/validation/published-table';
import { cli, tmpdir } from '../cli/helpers';

describe('validation: published tables beside ringlab', function () {
  this.timeout(300_000);

  it('ships the Adams & Agesen 2006 nanobenchmark table, which decodes', () => {
    const files = shippedTables();
    expect(files.map((f) => path.basename(f))).to.include('adams-agesen-2006.json');
    for (const f of files) expect(isLeft(loadPublishedTable(f)), f).to.equal(false);
  });

  it('each row gets ringlab\'s figure and the ratio; orderings say whether they agree', () => {
    const t = loadPublishedTable(shippedTables().find((f) => f.endsWith('adams-agesen-2006.json'))!);
    if (isLeft(t)) throw new Error(t.left.join('\n'));
    const few = { ...t.right, rows: t.right.rows.filter((r) => r.workload === 'divzero').map((r) => ({ ...r, params: { n: 200 } })) };
    const c = compareTable(few);
    expect(c.rows).to.have.length(3);
    for (const r of c.rows) {
      expect(r.ringlab, r.strategy).to.be.a('number');
      expect(r.ratio).to.be.closeTo((r.ringlab as number) / r.published, 1e-9);
    }
    expect(c.orderings).to.have.length(1);
    const o = c.orderings[0];
    expect(o.published).to.deep.equal(['native', 'hardware-assisted', 'binary-translation']);
    expect(o.agree).to.equal(o.published.join() === o.ringlab.join());
  });

  it('a miss is shown as a miss, and a row ringlab cannot run says why', () => {
    const dir = tmpdir();
    const file = path.join(dir, 'made-up.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        source: 'a made-up table',
        profile: 'netburst-2006',
        unit: 'cycles per operation',
        rows: [
          { workload: 'syscall', params: { n: 100 }, strategy: 'native', value: 1e9 },
          { workload: 'syscall', params: { n: 100 }, strategy: 'binary-translation', value: 1 },
          { workload: 'syscall', params: { n: 100 }, strategy: 'hardware-assisted', options: { paging: 'nested' }, value: 5 },
        ],
      }),
    );
    const t = loadPublishedTable(file);
    if (isLeft(t)) throw new Error(t.left.join('\n'));
    const c = compareTable(t.right);
    expect(c.orderings[0].agree).to.equal(false);
    expect(c.rows[2].ringlab).to.equal(null);
    expect(c.rows[2].error).to.match(/nested paging/);
  });

  it('ringlab validate FILE --json prints the comparison; a malformed table is a clear error (exit 2)', async () => {
    const dir = tmpdir();
    const good = path.join(dir, 'one.json');
    fs.writeFileSync(good, JSON.stringify({ source: 's', profile: 'modern', unit: 'slowdown', rows: [{ workload: 'syscall', params: { n: 50 }, strategy: 'paravirt', value: 1.5 }] }));
    const r = await cli('validate', good, '--json');
    expect(r.code).to.equal(0);
    const j = JSON.parse(r.out);
    expect(j.tables[0].rows[0].ringlab).to.be.a('number');
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ source: 's', profile: 'modern', unit: 'furlongs', rows: [] }));
    const e = await cli('validate', bad);
    expect(e.code).to.equal(2);
    expect(e.err).to.match(/unit: expected/);
  });
});
