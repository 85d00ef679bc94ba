import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { toCsv } from '../../../experiments/run/csv';
import { runOne } from '../../../experiments/run/run-one';

describe('CSV export', () => {
  it('quotes fields with commas, quotes, line feeds or carriage returns (RFC 4180), and leaves others bare', () => {
    const r = runOne({ strategy: 'native', workload: 'syscall', params: { n: 5 }, profile: 'netburst-2006' });
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    const provenance = { specHash: 'abc', commit: 'c0ffee', modified: true, ringlabVersion: '1.2.3' };
    const csv = toCsv([{ ...r.right, ...provenance, label: 'a "b", c\r\nd' }, { ...r.right, ...provenance, label: 'plain' }]);
    const [header, first] = csv.split('\n');
    expect(header.split(',').slice(0, 7)).to.deep.equal(['spec_hash', 'commit', 'modified', 'ringlab_version', 'label', 'strategy', 'options']);
    expect(csv).to.contain('abc,c0ffee,true,1.2.3,"a ""b"", c\r\nd",native,{},syscall,"{""n"":5}",netburst-2006,');
    expect(first).to.equal('abc,c0ffee,true,1.2.3,"a ""b"", c\r');
    expect(csv).to.contain('\nabc,c0ffee,true,1.2.3,plain,native,');
    expect(csv.endsWith('\n')).to.equal(true);
  });
});
