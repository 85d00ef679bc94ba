import { expect } from 'chai';
import fc from 'fast-check';
import { formatDuration, formatNumber, hex32, table } from '../../../experiments/common/format';

describe('format', () => {
  it('formatNumber writes what toLocaleString writes: separators for integers, at most 3 decimals otherwise', () => {
    expect(formatNumber(1234567)).to.equal('1,234,567');
    expect(formatNumber(-42)).to.equal('-42');
    expect(formatNumber(3.14159)).to.equal('3.142');
    expect(formatNumber(1234.5)).to.equal('1,234.5');
    expect(formatNumber(NaN)).to.equal('NaN');
    expect(formatNumber(Infinity)).to.equal('∞');
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, min: -1e12, max: 1e12 })), (n) => {
        const expected = Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 3 });
        expect(formatNumber(n)).to.equal(expected);
      }),
    );
  });

  it('table right-aligns numeric columns and formats their numbers', () => {
    expect(table(['name', 'count'], [['a', 1234], ['bb', 5.5]]).split('\n')).to.deep.equal(['name  count', '----  -----', 'a     1,234', 'bb      5.5']);
  });

  it('hex32 and formatDuration', () => {
    expect(hex32(-1)).to.equal('0xffffffff');
    expect(formatDuration(30)).to.equal('30 s');
    expect(formatDuration(600)).to.equal('10 min');
    expect(formatDuration(7200)).to.equal('2 h');
  });
});
