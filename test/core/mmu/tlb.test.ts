import { expect } from 'chai';
import type { Cpu } from '../../../core/cpu/cpu';
import { uniprocessor } from '../../../core/platform/uniprocessor';
import { Tlb } from '../../../core/mmu/tlb';
import { identity, mapPages, P, PAGING_ON, poke, PT, runSnippet, stopOf, W } from '../machine-helpers';
import { countsOf } from '../counts';

describe('MMU: the TLB', () => {
  describe('Tlb', () => {
    it('with one way it is direct-mapped: pages whose numbers collide modulo the size share one entry', () => {
      const t = new Tlb(4, 1);
      t.fill(0x1000, 0x9000, 1);
      t.fill(0x5000, 0xa000, 1);
      expect(Array.from(t.tag)).to.deep.equal([-1, 5, -1, -1]);
      expect(t.base[1]).to.equal(0xa000);
      t.invalidate(0x1000); // not cached any more: no effect
      expect(t.tag[1]).to.equal(5);
      t.invalidate(0x5fff);
      expect(t.tag[1]).to.equal(-1);
    });

    it('is set-associative: with 4 ways, four pages of one set coexist and a fifth replaces round-robin', () => {
      const t = new Tlb(16, 4); // 4 sets
      for (const v of [0, 4, 8, 12]) t.fill(v << 12, 0x100000 + (v << 12), 1);
      for (const v of [0, 4, 8, 12]) expect(t.find(v), String(v)).to.be.at.least(0);
      t.fill(16 << 12, 0x200000, 1); // set 0 is full: replaces its first way (page 0)
      expect(t.find(0)).to.equal(-1);
      expect(t.find(16)).to.equal(0);
      t.fill(20 << 12, 0x300000, 1); // then the second way (page 4)
      expect(t.find(4)).to.equal(-1);
      expect([t.find(8), t.find(12), t.find(16), t.find(20)].every((k) => k >= 0)).to.equal(true);
      expect(() => new Tlb(16, 3)).to.throw(RangeError);
      expect(() => new Tlb(4, 8)).to.throw(RangeError);
    });

    it('rejects sizes that are not powers of two from 1 to 65536', () => {
      for (const n of [0, 3, 12, 131072, 1.5]) expect(() => new Tlb(n), String(n)).to.throw(RangeError);
      for (const n of [1, 2, 64, 65536]) expect(new Tlb(n).size).to.equal(n);
      expect(uniprocessor({ memoryBytes: 0x1000, tlbEntries: 8 }).mmu.tlb.size).to.equal(8);
      expect(uniprocessor({ memoryBytes: 0x1000 }).mmu.tlb.size).to.equal(64);
    });
  });

  describe('in a running machine', () => {
    const setup = (m: Cpu) => {
      mapPages(m, identity(0, 0x20000, P | W).concat(identity(PT, PT + 0x1000, P | W)));
      poke(m, 0x1000, 0x111);
      poke(m, 0x11000, 0x1111);
      poke(m, 0x10000, 0x1000);
    };

    it('pages that collide in a 16-entry TLB evict each other; with 32 entries they do not', () => {
      const program = `${PAGING_ON}
        ld r2, [r0+0x1000]
        ld r3, [r0+0x11000]
        ld r4, [r0+0x1000]
        hlt`;
      const small = runSnippet(program, { setup, tlbEntries: 16, tlbWays: 1 });
      expect([small.regs[2], small.regs[3], small.regs[4]]).to.deep.equal([0x111, 0x1111, 0x111]);
      // code page (1 miss), 3 data misses; hits: 3 immediates + 3 fetches
      expect(countsOf(small).tlb).to.deep.include({ hits: 6, misses: 4, walkReferences: 8 });
      const large = runSnippet(program, { setup, tlbEntries: 32, tlbWays: 1 });
      expect(countsOf(large).tlb).to.deep.include({ hits: 7, misses: 3, walkReferences: 6 });
    });

    // BUG: the interpreter caches the translation of the current code page (codeVpn/codeBase)
    // and invalidates that cache only on flush/INVLPG (mmu.generation), not when a data access
    // evicts the code page's TLB entry. With 16 entries, code page 0 and data page 0x10 share
    // entry 0, yet fetches after the data access count as hits and use a translation the TLB
    // no longer holds. Expected (fetch ld, data, fetch ld, data, fetch hlt all miss; the two
    // immediates hit): hits 2, misses 5, walkReferences 10. Actual: hits 5, misses 2,
    // walkReferences 4 (same as with 32 entries).
    it('a data page that collides with the code page evicts it (fetches miss again)', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x10000]
        ld r3, [r0+0x10000]
        hlt`, { setup, tlbEntries: 16, tlbWays: 1 });
      expect(stopOf(m).kind).to.equal('halted');
      expect(countsOf(m).tlb).to.deep.include({ hits: 2, misses: 5, walkReferences: 10 });
    });

    it('a stale entry is used after a PTE write without INVLPG; INVLPG drops it (x86 semantics)', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x5000]
        li r3, 0x7000 | 3
        st [r0+${PT + 5 * 4}], r3
        ld r4, [r0+0x5000]
        li r5, 0x5ff0
        invlpg r5
        ld r6, [r0+0x5000]
        hlt`, {
        setup: (m) => {
          mapPages(m, [...identity(0, 0x1000, P | W), [0x5000, 0x6000, P | W], [PT, PT, P | W]]);
          poke(m, 0x6000, 0x666);
          poke(m, 0x7000, 0x777);
        },
      });
      expect([m.regs[2], m.regs[4], m.regs[6]]).to.deep.equal([0x666, 0x666, 0x777]);
      expect(countsOf(m).tlb.invlpg).to.equal(1);
    });

    it('INVLPG drops exactly one entry: exact hits and misses', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x1000]
        ld r3, [r0+0x2000]
        li r5, 0x1000
        invlpg r5
        ld r2, [r0+0x1000]
        ld r3, [r0+0x2000]
        hlt`, { setup });
      // up to INVLPG: misses: code, 0x1000, 0x2000; hits: 2 immediates, fetches of ld, li
      // and invlpg, li's immediate = 6. After: the code page still hits; 0x1000 misses;
      // hits: 2 fetches, 2 immediates, data 0x2000, fetch hlt = 6.
      expect(countsOf(m).tlb).to.deep.include({ hits: 12, misses: 4, walkReferences: 8, invlpg: 1 });
    });

    it('a cr3 write flushes the whole TLB even with the same value', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x5000]
        ld r2, [r0+0x5000]
        li r1, ${0x30000}
        wrcr cr3, r1
        ld r2, [r0+0x5000]
        hlt`, { setup });
      expect(countsOf(m).tlb).to.deep.equal({ hits: 9, misses: 4, walkReferences: 8, flushes: 3, invlpg: 0 });
      expect(countsOf(m).controlRegisterWrites).to.deep.equal({ cr3: 2, cr0: 1 });
    });

    it('switching cr3 to other tables changes the translation', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x5000]
        li r1, 0x32000
        wrcr cr3, r1
        ld r3, [r0+0x5000]
        hlt`, {
        setup: (m) => {
          mapPages(m, [...identity(0, 0x1000, P | W), [0x5000, 0x6000, P | W]]);
          mapPages(m, [...identity(0, 0x1000, P | W), [0x5000, 0x7000, P | W]], { pd: 0x32000, pt: 0x33000 });
          poke(m, 0x6000, 6);
          poke(m, 0x7000, 7);
        },
      });
      expect([m.regs[2], m.regs[3]]).to.deep.equal([6, 7]);
      expect(m.mmu.root).to.equal(0x32000);
    });
  });
});
