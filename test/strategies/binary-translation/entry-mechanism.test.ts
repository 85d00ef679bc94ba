/**
 * The translation engine's entry mechanism: binary translation enters its monitor by
 * software interrupts and notices a lowered task priority through the doorbell page; hybrid
 * enters by a VM exit, so a cr8 write is a callout; and a unit can be cut after a number of
 * callouts (hybrid's pairs).
 */
import { expect } from 'chai';
import { translateUnit } from '../../../strategies/binary-translation/translator';
import { assembleSnippet, codeOf, listing } from './helpers';

const SOURCE = `
k:      wrcr cr8, r2
        out 0x3f8, r3
        addi r4, r4, 1
        in r5, 0x3f9
        ret`;

const translate = (o: { entry?: 'software-interrupt' | 'vm-exit'; maxCallouts?: number }) => {
  const p = assembleSnippet(SOURCE, {}, 0x1000);
  const t = translateUnit(codeOf(p), p.symbols.k, { maxInstructions: 12, ...o });
  if (!t.ok) throw new Error('fetch failed');
  return t.unit;
};

describe('binary translation: the entry mechanism is a parameter of the translator', () => {
  it('software-interrupt (BT): a cr8 write is an inline store and a doorbell load', () => {
    const u = translate({});
    expect(listing(u).slice(0, 2)).to.deep.equal(['st [0xff000060], r2', 'ld r0, [0xff001000]']);
    expect(u.sites.map((s) => (s.site.kind === 'callout' ? s.site.callout : s.site.kind))).to.deep.equal(['out', 'in', 'lookup']);
  });

  it('vm-exit (hybrid): a cr8 write is a callout, the same code otherwise', () => {
    const u = translate({ entry: 'vm-exit' });
    expect(listing(u)[0]).to.equal('int 0xf0');
    expect(u.sites.map((s) => (s.site.kind === 'callout' ? s.site.callout : s.site.kind))).to.deep.equal(['wrcr', 'out', 'in', 'lookup']);
    expect(listing(u).slice(1)).to.deep.equal(listing(translate({})).slice(2));
  });

  it('maxCallouts ends the unit after that many callouts, with a continuation to the next instruction', () => {
    const u = translate({ entry: 'vm-exit', maxCallouts: 2 });
    expect(u.guestInstructions).to.equal(2);
    expect(u.sites.map((s) => s.site)).to.deep.include({ kind: 'exit', target: 0x1008 });
    expect(listing(u)).to.deep.equal(['int 0xf0', 'int 0xf0', 'int 0xf2', 'nop']);
  });
});
