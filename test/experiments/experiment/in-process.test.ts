import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/Either';
import { runSpec } from '../../../experiments/experiment/in-process';
import { validateRow } from '../../../experiments/experiment/result-codec';

describe('runSpec (an experiment in the calling process)', function () {
  this.timeout(120_000);

  it('returns a validated row per run, with provenance, and the refused combinations as skipped', () => {
    const r = runSpec({
      name: 'in-process',
      strategies: [{ name: 'native' }, { name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } }],
      workloads: [{ name: 'syscall', params: { n: [10, 20] } }],
      profiles: ['netburst-2006'],
    });
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    const { rows, skipped, errors } = r.right;
    expect(errors).to.deep.equal([]);
    // nested paging is refused on netburst-2006: 2 native + 2 shadow runs
    expect(rows.map((x) => [x.label, x.params.n])).to.deep.equal([
      ['native', 10],
      ['native', 20],
      ['hardware-assisted', 10],
      ['hardware-assisted', 20],
    ]);
    expect(skipped).to.have.length(1); // the refused configuration, once for its swept values
    expect(skipped[0]).to.contain('paging=nested');
    for (const row of rows) {
      expect(isRight(validateRow(row, 'row'))).to.equal(true);
      expect(row.experiment).to.equal('in-process');
      expect(row.specHash).to.match(/^[0-9a-f]{16,}$/);
      expect(row.equivalent).to.equal(true);
    }
    expect(rows[2].events.exits.total).to.be.greaterThan(0);
  });

  it('refuses a bad spec with every problem at once', () => {
    const r = runSpec({ name: 'bad', strategies: [{ name: 'no-such' }], workloads: [{ name: 'nope' }], profiles: ['netburst-2006'] });
    expect(isLeft(r)).to.equal(true);
    if (!isLeft(r)) return;
    expect(r.left.some((e) => e.includes("'no-such'"))).to.equal(true);
    expect(r.left.some((e) => e.includes("'nope'"))).to.equal(true);
  });
});
