/**
 * Translation for guest rings 1 and 2 (a guest that uses them; its kernel rings all run in
 * real ring 1): a privileged instruction becomes a callout that raises #GP and ends the unit,
 * RDCPL loads the ring, IOPL-checked and sensitive instructions keep their callouts (which
 * check the virtual CPL), the rest is translated as for ring 0; and the monitor flushes its
 * cache when the guest moves between those rings.
 */
import { expect } from 'chai';
import { translateUnit } from '../../../strategies/binary-translation/translator';
import { assembleSnippet, codeOf, listing } from './helpers';
import { EXIT_HANDLERS, exitIdt, iretToRing, runKernel } from '../kernel-fixture';

const translate = (source: string, o: { ring?: number; variant?: 'default' | 'virtualizable' }) => {
  const p = assembleSnippet(source, {}, 0x1000);
  const t = translateUnit(codeOf(p), p.symbols.k, { maxInstructions: 12, ...o });
  if (!t.ok) throw new Error('fetch failed');
  return t.unit;
};

const calloutsOf = (u: ReturnType<typeof translate>) => u.sites.map((s) => (s.site.kind === 'callout' ? s.site.callout : s.site.kind));

describe('binary translation: guest rings 1 and 2', () => {
  const SOURCE = `
k:      rdcpl r1
        in r2, 0xf0
        pushf
        cli
        addi r3, r3, 1
        ret`;

  it('ring 0 (the default): RDCPL is li 0, CLI an inline store, the unit runs to RET', () => {
    const u = translate(SOURCE, {});
    expect(listing(u)[0]).to.equal('li r1, 0x0');
    expect(calloutsOf(u)).to.deep.equal(['in', 'pushf', 'lookup']);
    expect(u.guestInstructions).to.equal(6);
  });

  for (const ring of [1, 2])
    it(`ring ${ring}: RDCPL is li ${ring}, IN and PUSHF keep their callouts, CLI is a #GP callout that ends the unit`, () => {
      const u = translate(SOURCE, { ring });
      expect(listing(u)[0]).to.equal(`li r1, 0x${ring}`);
      expect(calloutsOf(u)).to.deep.equal(['in', 'pushf', 'privileged']);
      expect(u.guestInstructions).to.equal(4);
    });

  it('on the virtualizable ISA the flaw rows are privileged too: RDCPL and PUSHF fault in ring 1', () => {
    const u = translate(SOURCE, { ring: 1, variant: 'virtualizable' });
    expect(calloutsOf(u)).to.deep.equal(['privileged']);
    expect(u.guestInstructions).to.equal(1);
  });

  it('the monitor flushes the cache (a priced event) when the guest enters ring 1, and again back in ring 0', () => {
    // ring 0 -> IRET to ring 1 -> CLI faults -> the ring-0 #GP handler shuts down with 113
    const r = runKernel(
      'binary-translation',
      `${iretToRing(1, 0)}
outer:  cli
        hlt
${EXIT_HANDLERS}
${exitIdt()}
`,
      'default',
    );
    expect(r.exitCode).to.equal(113);
    expect(r.equivalent).to.equal(true);
    expect((r.events.translation.by as Record<string, number>).flushes).to.equal(2);
  });
});
