/**
 * The translation cache on its own: placing units and the reverse map, flush when full,
 * chaining (an exit slot patched into a jump) and invalidation of a frame (the jumps into
 * its units restored to exits).
 */
import { expect } from 'chai';
import { decode } from '../../../core/isa/codec';
import { PhysicalMemory } from '../../../core/mmu/memory';
import { TC_VA } from '../../../strategies/binary-translation/layout';
import { TranslationCache } from '../../../strategies/binary-translation/translation-cache';
import { translateUnit } from '../../../strategies/binary-translation/translator';
import { assembleSnippet, codeOf } from './helpers';

const PHYS = 0x10000;

const setup = (capacity: number) => {
  const memory = new PhysicalMemory(0x100000);
  const counters: Record<string, number> = {};
  const cache = new TranslationCache(memory, PHYS, capacity, (what, n = 1) => void (counters[what] = (counters[what] ?? 0) + n));
  const p = assembleSnippet(
    `
a:      addi r1, r1, 1
        jmp b
        .org 0x2000
b:      call c
c:      ret`,
    {},
    0x1000,
  );
  const unitAt = (label: string) => {
    const t = translateUnit(codeOf(p), p.symbols[label], { maxInstructions: 12 });
    if (!t.ok) throw new Error('fetch');
    return t.unit;
  };
  const wordAt = (va: number) => memory.i32[(PHYS + (va - TC_VA)) >>> 2];
  return { cache, counters, unitAt, wordAt, p };
};

describe('binary translation: the translation cache', () => {
  it('places units one after another, maps cache words back to guest pcs, and counts lookups', () => {
    const { cache, counters, unitAt, p } = setup(4096);
    const a = cache.place(unitAt('a'));
    const b = cache.place(unitAt('b'));
    expect(a?.address).to.equal(TC_VA);
    expect(b?.address).to.equal(TC_VA + a!.bytes);
    expect(cache.guestPcAt(TC_VA)).to.equal(p.symbols.a);
    // b's push r1 (third instruction, offset 16): the call has not happened yet, r1 is in the spill slot
    expect(cache.guestPcAt(b!.address + 16)).to.equal(p.symbols.b);
    expect(cache.spillAt(b!.address + 16)).to.equal(1);
    expect(cache.lookup(p.symbols.b)).to.equal(b);
    expect(cache.lookup(p.symbols.c)).to.equal(undefined);
    expect(counters).to.deep.include({ units: 2, cacheLookups: 2, cacheHits: 1, cacheMisses: 1, translatedBytes: a!.bytes + b!.bytes });
    expect(counters.guestInstructions).to.equal(3);
  });

  it('refuses a unit that does not fit; a flush empties it', () => {
    const { cache, counters, unitAt } = setup(48);
    expect(cache.place(unitAt('b'))).to.not.equal(null); // 36 bytes
    expect(cache.place(unitAt('a'))).to.equal(null);
    cache.flush();
    expect(counters.flushes).to.equal(1);
    expect(cache.used).to.equal(0);
    expect(cache.find(0x2000)).to.equal(undefined);
    expect(cache.place(unitAt('a'))?.address).to.equal(TC_VA);
  });

  it('chains an exit slot into a direct jump and unchains it when the target is invalidated', () => {
    const { cache, counters, unitAt, wordAt, p } = setup(4096);
    const a = cache.place(unitAt('a'))!;
    const b = cache.place(unitAt('b'))!;
    const slot = a.address + 8; // after addi
    expect(cache.siteAt(slot)).to.deep.include({ kind: 'exit', target: p.symbols.b });
    const before = [wordAt(slot), wordAt(slot + 4)];
    cache.chain(slot, b);
    const d = decode(wordAt(slot), wordAt(slot + 4));
    expect(d.ok && d.instruction.mnemonic).to.equal('jmp');
    expect(d.ok && (slot + 8 + d.instruction.imm) | 0).to.equal(b.address);
    expect(counters.chainedExits).to.equal(1);
    const dropped = cache.invalidateFrame(0x2000);
    expect(dropped).to.deep.equal([b]);
    expect(b.live).to.equal(false);
    expect(counters.invalidations).to.equal(1);
    expect([wordAt(slot), wordAt(slot + 4)]).to.deep.equal(before);
    expect(cache.find(p.symbols.b)).to.equal(undefined);
    expect(cache.find(p.symbols.a)).to.equal(a);
  });
});
