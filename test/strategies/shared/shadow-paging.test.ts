import { expect } from 'chai';
import type { Trap, VcpuHandler } from '../../../core/cpu/exit';
import { runVcpu } from '../../../core/cpu/vcpu-loop';
import { GuestFault } from '../../../core/isa/fault';
import type { Cpu } from '../../../core/cpu/cpu';
import { uniprocessor } from '../../../core/platform/uniprocessor';

import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../../../strategies/shared/counters';
import { vmmCountsOf } from '../vmm-counts';
import { decode } from '../../../core/isa/codec';
import { FRAME_MASK } from '../../../core/mmu/pte';
import { type PageFaultVerdict, ShadowPager, type ShadowPagingOptions } from '../../../strategies/shared/shadow-paging';
import { A, assembleSnippet, D, P, poke, U, W, word } from '../../core/machine-helpers';
import { countsOf } from '../../core/counts';

/** Guest RAM: the first MiB of a 2 MiB machine; the VMM owns the second MiB. */
const GUEST = 1 << 20;
const MACHINE = 2 << 20;
/** The guest's page directories and tables (guest-physical). */
const PD1 = 0x10000;
const PT1 = 0x11000;
const PD2 = 0x12000;
const PT2 = 0x13000;
const KPT = 0x14000;
/** Data frames. */
const F1 = 0x20000;
const F2 = 0x21000;
const F3 = 0x22000;

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

const fresh = (o: ShadowPagingOptions & { guest?: number; memory?: number } = {}) => {
  const m = uniprocessor({ memoryBytes: o.memory ?? MACHINE });
  m.ledger.declare(VMM_COUNTERS);
  m.ledger.declare(SHADOW_PAGING_COUNTERS);
  /** the counters now (read afresh at each access) */
  const ev = {
    get shadowPaging() {
      return vmmCountsOf(m).shadowPaging;
    },
    get emulations() {
      return vmmCountsOf(m).emulations;
    },
  };
  const pager = new ShadowPager(m, o.guest ?? GUEST, o);
  return { m, ev, pager };
};

/** Map linear `va` to `pa` in the guest tables `pd`/`pt` (the directory entry gets `pdeFlags`). */
const map = (m: Cpu, pd: number, pt: number, va: number, pa: number, flags: number, pdeFlags = P | W | U): void => {
  poke(m, pd + (va >>> 22) * 4, pt | pdeFlags);
  poke(m, pt + ((va >>> 12) & 0x3ff) * 4, (pa & FRAME_MASK) | flags);
};

/** Every frame any present shadow PTE of the active root maps. */
const shadowFrames = (m: Cpu, pager: ShadowPager): number[] => {
  const root = pager.shadowRoot;
  if (root === null) return [];
  const out: number[] = [];
  for (let d = 0; d < 1024; d++) {
    const pde = word(m, root + d * 4);
    if ((pde & P) === 0) continue;
    expect(pde & FRAME_MASK, 'shadow tables live in VMM memory').to.be.at.least(GUEST);
    for (let t = 0; t < 1024; t++) {
      const pte = word(m, (pde & FRAME_MASK) + t * 4);
      if ((pte & P) !== 0) out.push(pte & FRAME_MASK);
    }
  }
  return out;
};

/**
 * The monitor of the program tests: #PF goes to the pager (hidden: resume; guest: stop with
 * the verdict; trace: emulate the st/stb and step over it); #GP on HLT stops, on INVLPG and
 * `wrcr cr3` emulates through the pager. The guest kernel runs at ring 1 (virtual CPL 0).
 */
class TestMonitor implements VcpuHandler {
  readonly verdicts: PageFaultVerdict[] = [];
  /** exceptions taken, by vector */
  readonly traps: Record<number, number> = {};
  constructor(
    readonly m: Cpu,
    readonly pager: ShadowPager,
  ) {}

  private instruction(m: Cpu) {
    const pa = this.pager.guestTranslate(m.pc);
    if (pa === null) throw new Error(`code at ${hex(m.pc)} unmapped`);
    const d = decode(m.memory.read32(pa), m.memory.read32(pa + 4));
    if (!d.ok) throw new Error(`bad instruction at ${hex(m.pc)}`);
    return d;
  }

  onTrap(trap: Trap): void {
    const m = this.m;
    if (trap.kind !== 'exception') {
      m.stop({ kind: 'stopped', detail: `unexpected ${trap.kind}` });
      return;
    }
    this.traps[trap.vector] = (this.traps[trap.vector] ?? 0) + 1;
    if (trap.vector === 14) {
      const v = this.pager.onPageFault(trap.faultAddress, trap.errorCode, m.cpl === 3 ? 3 : 0);
      this.verdicts.push(v);
      switch (v.kind) {
        case 'hidden':
          return;
        case 'guest':
          m.stop({ kind: 'stopped', detail: `guest #PF ${v.errorCode} at ${hex(v.address)}` });
          return;
        case 'trace': {
          const { instruction: i, size } = this.instruction(m);
          if (i.mnemonic !== 'st' && i.mnemonic !== 'stb') throw new Error(`trace on ${i.mnemonic}`);
          const ok = this.pager.emulateWrite((m.regs[i.rb] + i.imm) | 0, m.regs[i.ra], i.mnemonic === 'st' ? 4 : 1);
          if (!ok) throw new Error('emulateWrite refused a traced store');
          m.ledger.tally('emulations', i.mnemonic);
          m.pc = (m.pc + size) | 0;
          return;
        }
      }
    }
    if (trap.vector === 13) {
      const { instruction: i, size } = this.instruction(m);
      if (i.mnemonic === 'hlt') {
        m.stop({ kind: 'stopped', detail: 'hlt' });
        return;
      }
      if (i.mnemonic === 'invlpg') this.pager.invalidatePage(m.regs[i.ra]);
      else if (i.mnemonic === 'wrcr' && i.imm12 === 3) this.pager.setGuestPaging(true, m.regs[i.ra]);
      else throw new Error(`unexpected #GP on ${i.mnemonic}`);
      m.ledger.tally('emulations', i.mnemonic);
      m.pc = (m.pc + size) | 0;
      return;
    }
    m.stop({ kind: 'stopped', detail: `unexpected exception ${trap.vector}: ${trap.detail}` });
    return;
  }
}

/** Load `source` at guest-physical 0, start it at ring 1 under the pager with guest paging (`cr3`, or off when null). */
const runGuest = (env: ReturnType<typeof fresh>, source: string, cr3: number | null, budget = 1000) => {
  const { m, pager } = env;
  m.load(0, assembleSnippet(source).bytes);
  pager.setGuestPaging(cr3 !== null, cr3 ?? 0);
  const mon = new TestMonitor(m, pager);
  m.monitor = { directVectors: new Set() };
  m.cpl = 1;
  m.pc = 0;
  const stop = runVcpu(m, mon, budget);
  return { stop, mon };
};

const HLT = { kind: 'stopped', detail: 'hlt' };

describe('strategies/shared: shadow paging', () => {
  describe('configuration', () => {
    it('rejects guest RAM that leaves the VMM fewer than two frames, and an empty root cache', () => {
      const m = uniprocessor({ memoryBytes: MACHINE });
      expect(() => new ShadowPager(m, MACHINE - 4096)).to.throw(RangeError, /at least two frames/);
      expect(() => new ShadowPager(m, 1000)).to.throw(RangeError);
      expect(() => new ShadowPager(m, GUEST, { cacheRoots: 0 })).to.throw(RangeError, /cacheRoots/);
    });

    it('activating a root writes machine cr3 with the shadow directory (in VMM memory) and turns machine paging on', () => {
      const { m, ev, pager } = fresh();
      pager.setGuestPaging(true, PD1);
      expect(pager.shadowRoot).to.be.at.least(GUEST);
      expect(m.cr[3]).to.equal(pager.shadowRoot);
      expect(m.mmu.root).to.equal(pager.shadowRoot);
      expect(m.mmu.paging).to.equal(true);
      expect(ev.shadowPaging).to.deep.include({ rootSwitches: 1, cacheMisses: 1, cacheHits: 0 });
      expect(pager.framesInUse).to.equal(1);
      expect(pager.isWriteProtected(PD1)).to.equal(true);
    });
  });

  describe('hidden faults fill the shadow lazily', () => {
    it('a program takes one hidden fault per page (plus one for the first write), then runs without faults', () => {
      const env = fresh();
      const { m, ev, pager } = env;
      map(m, PD1, PT1, 0x0000, 0x0000, P | W);
      map(m, PD1, PT1, 0x5000, F1, P | W);
      poke(m, F1, 0x1111);
      poke(m, F1 + 4, 0x2222);
      const { stop, mon } = runGuest(env, `
        ld r2, [r0+0x5000]
        ld r3, [r0+0x5004]
        st [r0+0x5008], r2
        st [r0+0x500c], r3
        ld r4, [r0+0x5000]
        hlt`, PD1);
      expect(stop).to.deep.equal(HLT);
      expect([m.regs[2], m.regs[3], m.regs[4]]).to.deep.equal([0x1111, 0x2222, 0x1111]);
      expect(word(m, F1 + 8)).to.equal(0x1111);
      expect(word(m, F1 + 12)).to.equal(0x2222);
      // code fetch, first read of 0x5000 (mapped read-only: dirty clear), first write (dirty)
      expect(mon.verdicts).to.deep.equal([{ kind: 'hidden' }, { kind: 'hidden' }, { kind: 'hidden' }]);
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 3, guestFaults: 0, traceFaults: 0, updates: 0 });
      expect(mon.traps).to.deep.equal({ 14: 3, 13: 1 });
      // the guest's own entries got accessed and dirty bits as on hardware
      expect(word(m, PD1)).to.equal(PT1 | P | W | U | A);
      expect(word(m, PT1 + 5 * 4)).to.equal(F1 | P | W | A | D);
      expect(word(m, PT1)).to.equal(0x0000 | P | W | A);
      // the shadow maps the frames directly, writable only where the guest page is dirty
      expect(pager.shadowEntry(0x5000)! & (FRAME_MASK | P | W | U)).to.equal(F1 | P | W);
      expect(pager.shadowEntry(0x0000)! & (FRAME_MASK | P | W | U)).to.equal(0x0000 | P);
      expect(pager.shadowEntry(0x6000)).to.equal(null);
      // one shadow directory and one shadow table
      expect(pager.framesInUse).to.equal(2);
    });

    it('a read fill of a clean page is read-only and sets only the accessed bit; the first write upgrades it', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W | U);
      pager.setGuestPaging(true, PD1);
      expect(pager.onPageFault(0x5010, 0, 0)).to.deep.equal({ kind: 'hidden' });
      expect(word(m, PT1 + 5 * 4)).to.equal(F1 | P | W | U | A);
      expect(pager.shadowEntry(0x5000)! & (P | W | U)).to.equal(P | U);
      m.cpl = 1;
      expect(() => m.read32(0x5010)).not.to.throw();
      let fault: unknown;
      try {
        m.write32(0x5010, 7);
      } catch (e) {
        fault = e;
      }
      expect(fault).to.be.instanceOf(GuestFault);
      const f = fault as GuestFault;
      expect([f.vector, f.errorCode, f.faultAddress]).to.deep.equal([14, P | W, 0x5010]);
      expect(pager.onPageFault(f.faultAddress, f.errorCode, 0)).to.deep.equal({ kind: 'hidden' });
      expect(word(m, PT1 + 5 * 4)).to.equal(F1 | P | W | U | A | D);
      expect(pager.shadowEntry(0x5000)! & (P | W | U)).to.equal(P | W | U);
      m.write32(0x5010, 7);
      expect(word(m, F1 + 0x10)).to.equal(7);
      expect(ev.shadowPaging.hiddenFaults).to.equal(2);
    });

    it('a read fill of a page the guest already marked dirty maps it writable at once', () => {
      const { m, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W | D);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, 0, 0);
      expect(pager.shadowEntry(0x5000)! & (P | W)).to.equal(P | W);
      m.cpl = 1;
      m.write32(0x5000, 1);
      expect(word(m, F1)).to.equal(1);
    });

    it('a directory entry without write or user access restricts the whole shadow table', () => {
      const { m, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W | U | D, P);
      pager.setGuestPaging(true, PD1);
      expect(pager.onPageFault(0x5000, 0, 0)).to.deep.equal({ kind: 'hidden' });
      expect(word(m, pager.shadowRoot!) & (P | W | U)).to.equal(P);
      m.cpl = 1;
      expect(() => m.write32(0x5000, 1)).to.throw(GuestFault);
      expect(pager.onPageFault(0x5000, P | W, 0)).to.deep.equal({ kind: 'guest', errorCode: P | W, address: 0x5000 });
    });
  });

  describe('true guest faults carry the error code of the guest tables', () => {
    // 0x5000 supervisor RW, 0x6000 user read-only, 0x7000 supervisor read-only, 0x8000 not present,
    // 0x400000: directory entry not present, 0x800000: user page under a supervisor directory entry
    const layout = (m: Cpu) => {
      map(m, PD1, PT1, 0x5000, F1, P | W);
      map(m, PD1, PT1, 0x6000, F2, P | U);
      map(m, PD1, PT1, 0x7000, F3, P);
      map(m, PD1, PT2, 0x800000, F1, P | W | U, P | W);
    };
    /** [what, address, machine error code (the shadow is empty, so never P), vcpl, expected error code] */
    const cases: [string, number, number, number, number][] = [
      ['kernel read, not present', 0x8004, 0, 0, 0],
      ['kernel write, not present', 0x8008, W, 0, W],
      ['kernel read, directory entry not present', 0x400000, 0, 0, 0],
      ['kernel fetch, not present', 0x8000, 0x10, 0, 0x10],
      ['kernel write, read-only page', 0x7000, W, 0, P | W],
      ['user read, not present', 0x8000, U, 3, U],
      ['user read, supervisor page', 0x5000, U, 3, P | U],
      ['user write, supervisor page', 0x5000, W | U, 3, P | W | U],
      ['user write, read-only user page', 0x6010, W | U, 3, P | W | U],
      ['user fetch, supervisor page', 0x7000, 0x10 | U, 3, 0x10 | P | U],
      ['user read, supervisor directory entry', 0x800000, U, 3, P | U],
    ];
    for (const [what, address, machineError, vcpl, expected] of cases) {
      it(`${what}: error code ${expected}`, () => {
        const { m, ev, pager } = fresh();
        layout(m);
        pager.setGuestPaging(true, PD1);
        const before = [word(m, PD1), word(m, PD1 + 8), word(m, PT1 + 5 * 4), word(m, PT1 + 6 * 4), word(m, PT1 + 7 * 4)];
        expect(pager.onPageFault(address, machineError, vcpl)).to.deep.equal({ kind: 'guest', errorCode: expected, address });
        expect(ev.shadowPaging).to.deep.include({ guestFaults: 1, hiddenFaults: 0 });
        expect(pager.shadowEntry(address)).to.equal(null);
        // a faulting walk sets no accessed bits
        expect([word(m, PD1), word(m, PD1 + 8), word(m, PT1 + 5 * 4), word(m, PT1 + 6 * 4), word(m, PT1 + 7 * 4)]).to.deep.equal(before);
      });
    }

    it('the allowed accesses of the same layout are hidden faults', () => {
      const { m, ev, pager } = fresh();
      layout(m);
      pager.setGuestPaging(true, PD1);
      expect(pager.onPageFault(0x5000, W, 0).kind).to.equal('hidden');
      expect(pager.onPageFault(0x6000, U, 3).kind).to.equal('hidden');
      expect(pager.onPageFault(0x7000, 0, 0).kind).to.equal('hidden');
      expect(pager.onPageFault(0x800000, W, 0).kind).to.equal('hidden');
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 4, guestFaults: 0 });
    });

    it('a program writing a read-only page is stopped with the guest fault (error 3, address)', () => {
      const env = fresh();
      const { m, ev } = env;
      map(m, PD1, PT1, 0x0000, 0x0000, P | W);
      map(m, PD1, PT1, 0x7000, F3, P);
      const { stop, mon } = runGuest(env, `
        ld r2, [r0+0x7000]
        st [r0+0x7004], r2
        hlt`, PD1);
      expect(stop).to.deep.equal({ kind: 'stopped', detail: 'guest #PF 3 at 0x7004' });
      expect(mon.verdicts.map((v) => v.kind)).to.deep.equal(['hidden', 'hidden', 'guest']);
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 2, guestFaults: 1 });
      expect(word(m, PT1 + 7 * 4)).to.equal(F3 | P | A);
    });
  });

  describe('write protection of guest page tables and traces', () => {
    it('a store to a guest page table traces; after emulation and INVLPG the new mapping is in effect', () => {
      const env = fresh();
      const { m, ev, pager } = env;
      map(m, PD1, PT1, 0x0000, 0x0000, P | W);
      map(m, PD1, PT1, 0x5000, F1, P | W);
      map(m, PD1, PT1, 0x6000, PT1, P | W); // the guest maps its own page table at 0x6000
      poke(m, F1, 0xaaaa);
      poke(m, F2, 0xbbbb);
      const { stop, mon } = runGuest(env, `
        ld r2, [r0+0x5000]
        li r1, ${F2 | P | W}
        st [r0+0x6014], r1
        li r5, 0x5000
        invlpg r5
        ld r3, [r0+0x5000]
        hlt`, PD1);
      expect(stop).to.deep.equal(HLT);
      expect([m.regs[2], m.regs[3]]).to.deep.equal([0xaaaa, 0xbbbb]);
      expect(word(m, PT1 + 5 * 4)).to.equal(F2 | P | W | A); // the refill set the accessed bit of the new entry
      // code fetch, ld (fill), st (trace: the page table is write-protected), ld after the update (refill)
      expect(mon.verdicts).to.deep.equal([{ kind: 'hidden' }, { kind: 'hidden' }, { kind: 'trace', pteAddress: PT1 + 0x14 }, { kind: 'hidden' }]);
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 3, guestFaults: 0, traceFaults: 1, updates: 1 });
      expect(ev.emulations).to.deep.equal({ st: 1, invlpg: 1 });
      // the emulated store set accessed and dirty in the entry mapping the page table, as hardware would
      expect(word(m, PT1 + 6 * 4)).to.equal(PT1 | P | W | A | D);
      expect(pager.shadowEntry(0x5000)! & FRAME_MASK).to.equal(F2);
      expect(pager.isWriteProtected(PT1)).to.equal(true);
    });

    it('emulateWrite clears the shadow PTE and the machine TLB entry at once; reads of page-table pages are not trapped', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W | D);
      map(m, PD1, PT1, 0x6000, PT1, P | W | D);
      pager.setGuestPaging(true, PD1);
      m.cpl = 1;
      pager.onPageFault(0x5000, 0, 0);
      pager.onPageFault(0x6000, 0, 0);
      expect(m.read32(0x6014) >>> 0).to.equal(F1 | P | W | A | D);
      expect(pager.shadowEntry(0x6000)! & (P | W)).to.equal(P);
      m.read32(0x5000); // now in the machine TLB
      expect(pager.onPageFault(0x6014, P | W, 0)).to.deep.equal({ kind: 'trace', pteAddress: PT1 + 0x14 });
      expect(pager.emulateWrite(0x6014, F2 | P | W | D, 4)).to.equal(true);
      expect(pager.shadowEntry(0x5000)).to.equal(null);
      expect(m.mmu.tlb.find(5)).to.equal(-1);
      expect(() => m.read32(0x5000)).to.throw(GuestFault);
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 1, updates: 1 });
    });

    it('a byte store to a page-table entry is emulated within the word', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W | U);
      map(m, PD1, PT1, 0x6000, PT1, P | W);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, 0, 0);
      // clear the user bit of the entry for 0x5000 (its low byte)
      expect(pager.emulateWrite(0x6014, P | W, 1)).to.equal(true);
      expect(word(m, PT1 + 0x14)).to.equal(F1 | P | W);
      expect(pager.shadowEntry(0x5000)).to.equal(null);
      expect(pager.onPageFault(0x5000, U, 3)).to.deep.equal({ kind: 'guest', errorCode: P | U, address: 0x5000 });
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 1, updates: 1, guestFaults: 1 });
    });

    it('a page-straddling store is emulated byte by byte into both pages', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x0000, F3, P | W | D);
      map(m, PD1, PT1, 0x5000, F1, P | W | D);
      map(m, PD1, PT1, 0x6000, PT1, P | W | D);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x0000, 0, 0);
      expect(pager.shadowEntry(0x0000)).not.to.equal(null);
      // bytes 0x5ffe-0x5fff land in F1, 0x6000-0x6001 in the low half of the entry for linear 0
      expect(pager.emulateWrite(0x5ffe, 0x00a1b2c3, 4)).to.equal(true);
      expect(m.memory.u8[F1 + 0xffe]).to.equal(0xc3);
      expect(m.memory.u8[F1 + 0xfff]).to.equal(0xb2);
      expect(word(m, PT1)).to.equal(((F3 & 0xffff0000) | 0x00a1 | A) >>> 0);
      expect(pager.shadowEntry(0x0000)).to.equal(null);
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 1, updates: 1 });
    });

    it('a store to a directory entry clears the shadow directory entry (and flushes the TLB)', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W);
      map(m, PD1, PT1, 0x6000, PD1, P | W | D); // the directory, mapped at 0x6000
      map(m, PD1, PT2, 0x400000, F2, P | W);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x400000, 0, 0);
      const flushes = countsOf(m).tlb.flushes;
      expect(pager.onPageFault(0x6004, W, 0)).to.deep.equal({ kind: 'trace', pteAddress: PD1 + 4 });
      expect(pager.emulateWrite(0x6004, 0, 4)).to.equal(true);
      expect(word(m, pager.shadowRoot! + 4)).to.equal(0);
      expect(pager.shadowEntry(0x400000)).to.equal(null);
      expect(countsOf(m).tlb.flushes).to.equal(flushes + 1);
      expect(pager.isWriteProtected(PT2)).to.equal(false); // its shadow table was freed
      expect(pager.onPageFault(0x400000, 0, 0)).to.deep.equal({ kind: 'guest', errorCode: 0, address: 0x400000 });
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 1, updates: 1, hiddenFaults: 1, guestFaults: 1 });
    });

    it('a page already mapped writable loses write access (and the TLB is flushed) when it becomes a page table', () => {
      const { m, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F3, P | W | D);
      map(m, PD1, F3, 0x800000, F1, P | W); // F3 serves as the table of directory entry 2
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, W, 0);
      expect(pager.shadowEntry(0x5000)! & W).to.equal(W);
      const flushes = countsOf(m).tlb.flushes;
      pager.onPageFault(0x800000, 0, 0);
      expect(pager.isWriteProtected(F3)).to.equal(true);
      expect(pager.shadowEntry(0x5000)! & W).to.equal(0);
      expect(countsOf(m).tlb.flushes).to.equal(flushes + 1);
      expect(pager.onPageFault(0x5004, P | W, 0)).to.deep.equal({ kind: 'trace', pteAddress: F3 + 4 });
    });

    it('emulateWrite refuses (and writes nothing) outside tracked pages or where the guest forbids the store', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W);
      map(m, PD1, PT1, 0x6000, PT1, P); // the page table, mapped read-only
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, 0, 0);
      expect(pager.emulateWrite(0x5000, 0x1234, 4)).to.equal(false);
      expect(pager.emulateWrite(0x6014, 0, 4)).to.equal(false);
      expect(pager.emulateWrite(0x9000, 0, 4)).to.equal(false);
      expect(word(m, F1)).to.equal(0);
      expect(word(m, PT1 + 0x14)).to.equal(F1 | P | W | A);
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 0, updates: 0 });
    });

    it('INVLPG drops the shadow entry and the machine TLB entry', () => {
      const { m, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W | D);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, 0, 0);
      m.cpl = 1;
      m.read32(0x5000);
      expect(m.mmu.tlb.find(5)).to.be.at.least(0);
      pager.invalidatePage(0x5000);
      expect(pager.shadowEntry(0x5000)).to.equal(null);
      expect(m.mmu.tlb.find(5)).to.equal(-1);
      expect(countsOf(m).tlb.invlpg).to.equal(1);
    });
  });

  describe('the shadow-root cache', () => {
    /** Two address spaces sharing the code page, mapping 0x5000 to F1 and F2. */
    const twoSpaces = (m: Cpu) => {
      map(m, PD1, PT1, 0x0000, 0x0000, P | W);
      map(m, PD1, PT1, 0x5000, F1, P | W);
      map(m, PD2, PT2, 0x0000, 0x0000, P | W);
      map(m, PD2, PT2, 0x5000, F2, P | W);
      poke(m, F1, 0x1111);
      poke(m, F2, 0x2222);
    };

    it('a program switching address spaces: back in a cached root it runs without hidden faults', () => {
      const env = fresh();
      const { m, ev } = env;
      twoSpaces(m);
      const { stop } = runGuest(env, `
        ld r2, [r0+0x5000]
        li r1, ${PD2}
        wrcr cr3, r1
        ld r3, [r0+0x5000]
        li r1, ${PD1}
        wrcr cr3, r1
        ld r4, [r0+0x5000]
        hlt`, PD1);
      expect(stop).to.deep.equal(HLT);
      expect([m.regs[2], m.regs[3], m.regs[4]]).to.deep.equal([0x1111, 0x2222, 0x1111]);
      // fetch + data in the first space, fetch + data in the second, none back in the first
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 4, rootSwitches: 3, cacheMisses: 2, cacheHits: 1 });
    });

    it('hits, misses and least-recently-used eviction; evicted roots are rebuilt empty and unprotected', () => {
      const { m, ev, pager } = fresh({ cacheRoots: 2 });
      const PD3 = 0x15000;
      twoSpaces(m);
      map(m, PD3, PT1, 0x0000, 0x0000, P | W);
      pager.setGuestPaging(true, PD1); // miss          [1]
      pager.onPageFault(0x5000, 0, 0);
      const root1 = pager.shadowRoot;
      pager.setGuestPaging(true, PD2); // miss          [1 2]
      pager.setGuestPaging(true, PD1); // hit           [2 1]
      expect(pager.shadowRoot).to.equal(root1);
      expect(m.cr[3]).to.equal(root1);
      expect(pager.shadowEntry(0x5000)! & FRAME_MASK).to.equal(F1);
      pager.setGuestPaging(true, PD3); // miss, evicts 2 [1 3]
      expect(pager.isWriteProtected(PD2)).to.equal(false);
      expect(pager.isWriteProtected(PD1)).to.equal(true);
      pager.setGuestPaging(true, PD1); // hit           [3 1]
      pager.setGuestPaging(true, PD1); // hit, same root: no switch, but cr3 is rewritten
      pager.setGuestPaging(true, PD2); // miss, evicts 3 [1 2]
      expect(pager.shadowEntry(0x5000)).to.equal(null);
      expect(pager.cachedRoots).to.equal(2);
      expect(ev.shadowPaging).to.deep.include({ cacheMisses: 4, cacheHits: 3, rootSwitches: 6 });
      pager.setGuestPaging(true, PD3); // miss, evicts 1: its shadow table is freed
      expect(pager.isWriteProtected(PD1)).to.equal(false);
      expect(pager.isWriteProtected(PT1)).to.equal(false);
      expect(pager.framesInUse).to.equal(2);
    });

    it('a guest kernel page table shared by two address spaces has one shadow table, shared by both roots', () => {
      const { m, ev, pager } = fresh();
      const KVA = 0xc0001000;
      map(m, PD1, KPT, KVA, F3, P | W);
      map(m, PD2, KPT, KVA, F3, P | W);
      map(m, PD2, KPT, KVA + 0x1000, F1, P | W);
      pager.setGuestPaging(true, PD1);
      const shadowPde = () => word(m, pager.shadowRoot! + (KVA >>> 22) * 4) & FRAME_MASK;
      pager.onPageFault(KVA, 0, 0);
      expect(pager.framesInUse).to.equal(2);
      const table1 = shadowPde();
      pager.setGuestPaging(true, PD2);
      pager.onPageFault(KVA, 0, 0); // fills only the directory entry: the table exists
      expect(pager.framesInUse).to.equal(3);
      expect(shadowPde()).to.equal(table1);
      pager.onPageFault(KVA + 0x1000, 0, 0);
      expect(pager.framesInUse).to.equal(3);
      // the entry filled in root 2 is visible in root 1 without a fault
      pager.setGuestPaging(true, PD1);
      expect(pager.shadowEntry(KVA + 0x1000)! & FRAME_MASK).to.equal(F1);
      // an update of the shared guest table, traced in root 1, drops the entry for both roots
      map(m, PD1, PT1, 0x6000, KPT, P | W | D);
      expect(pager.onPageFault(0x6000 + 4 * ((KVA >>> 12) & 0x3ff), W, 0).kind).to.equal('trace');
      expect(pager.emulateWrite(0x6000 + 4 * ((KVA >>> 12) & 0x3ff), 0, 4)).to.equal(true);
      expect(pager.shadowEntry(KVA)).to.equal(null);
      pager.setGuestPaging(true, PD2);
      expect(pager.shadowEntry(KVA)).to.equal(null);
      expect(pager.shadowEntry(KVA + 0x1000)! & FRAME_MASK).to.equal(F1);
      expect(pager.onPageFault(KVA, 0, 0)).to.deep.equal({ kind: 'guest', errorCode: 0, address: KVA });
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 3, traceFaults: 1, updates: 1, guestFaults: 1 });
    });
  });

  describe('physical mode (guest paging off)', () => {
    it('identity-maps guest RAM with real paging on; beyond guest RAM is a guest verdict with the error code as given', () => {
      const env = fresh();
      const { m, ev, pager } = env;
      poke(m, F1, 0x77);
      poke(m, GUEST, 0x5ec2e7); // VMM memory
      const { stop, mon } = runGuest(env, `
        ld r2, [r0+${F1}]
        st [r0+${F1 + 4}], r2
        ld r3, [r0+${GUEST}]
        hlt`, null);
      expect(m.mmu.paging).to.equal(true);
      expect(m.cr[3]).to.equal(pager.shadowRoot);
      expect(stop).to.deep.equal({ kind: 'stopped', detail: `guest #PF 0 at ${hex(GUEST)}` });
      expect(m.regs[2]).to.equal(0x77);
      expect(m.regs[3]).to.equal(0);
      expect(word(m, F1 + 4)).to.equal(0x77);
      // code page, data page (mapped writable: no dirty tracking without guest tables), then the outside access
      expect(mon.verdicts).to.deep.equal([
        { kind: 'hidden' },
        { kind: 'hidden' },
        { kind: 'guest', errorCode: 0, address: GUEST, outsideGuestMemory: true },
      ]);
      expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 2, guestFaults: 1, rootSwitches: 1, cacheMisses: 0, cacheHits: 0 });
      expect(pager.shadowEntry(F1)! & (FRAME_MASK | P | W | U)).to.equal(F1 | P | W | U);
      expect(pager.guestTranslate(F1 + 8)).to.equal(F1 + 8);
      expect(pager.guestTranslate(GUEST)).to.equal(null);
    });

    it('keeps cached roots coherent: a physical-mode store to a cached guest page table traces', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, F1, P | W);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, 0, 0);
      pager.setGuestPaging(false, 0);
      expect(pager.onPageFault(PT1 + 0x14, W, 0)).to.deep.equal({ kind: 'trace', pteAddress: PT1 + 0x14 });
      expect(pager.emulateWrite(PT1 + 0x14, F2 | P | W, 4)).to.equal(true);
      pager.setGuestPaging(true, PD1);
      expect(pager.shadowEntry(0x5000)).to.equal(null);
      pager.onPageFault(0x5000, 0, 0);
      expect(pager.shadowEntry(0x5000)! & FRAME_MASK).to.equal(F2);
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 1, updates: 1, rootSwitches: 3, cacheHits: 1, cacheMisses: 1 });
    });
  });

  describe('VMM memory is never mapped', () => {
    it('guest entries pointing beyond guest RAM (frame, page table or directory) are guest verdicts, never shadow entries', () => {
      const { m, ev, pager } = fresh();
      map(m, PD1, PT1, 0x5000, GUEST, P | W | U | D);
      map(m, PD1, PT1, 0x6000, MACHINE - 4096, P | W | U | D);
      poke(m, PD1 + 4, (GUEST + 0x3000) | P | W | U); // a page table in VMM memory
      pager.setGuestPaging(true, PD1);
      for (const va of [0x5000, 0x6000, 0x400000])
        expect(pager.onPageFault(va, W, 0)).to.deep.equal({ kind: 'guest', errorCode: W, address: va, outsideGuestMemory: true });
      pager.setGuestPaging(true, GUEST + 0x2000); // a directory in VMM memory
      expect(pager.onPageFault(0x5000, 0, 0)).to.deep.include({ kind: 'guest', outsideGuestMemory: true });
      expect(pager.guestTranslate(0x5000)).to.equal(null);
      expect(ev.shadowPaging).to.deep.include({ guestFaults: 4, hiddenFaults: 0 });
      pager.setGuestPaging(true, PD1);
      expect(shadowFrames(m, pager)).to.deep.equal([]);
    });

    it('a program reading a guest page mapped beyond guest RAM is stopped and sees no VMM data', () => {
      const env = fresh();
      const { m, pager } = env;
      map(m, PD1, PT1, 0x0000, 0x0000, P | W);
      map(m, PD1, PT1, 0x5000, F1, P | W);
      map(m, PD1, PT1, 0x6000, GUEST + 0x4000, P | W);
      poke(m, GUEST + 0x4000, 0x5ec2e7);
      const { stop } = runGuest(env, `
        ld r2, [r0+0x5000]
        ld r3, [r0+0x6000]
        hlt`, PD1);
      expect(stop).to.deep.equal({ kind: 'stopped', detail: 'guest #PF 0 at 0x6000' });
      expect(m.regs[3]).to.equal(0);
      const frames = shadowFrames(m, pager);
      expect(frames).to.have.members([0x0000, F1]);
      for (const f of frames) expect(f).to.be.below(GUEST);
    });
  });

  describe('unshadowing page-table frames reused as data', () => {
    /**
     * The guest kernel's lifecycle of a process's tables: PD2/PT2 were the tables of a process
     * (0x5000 -> F1, filled, so PT2 and PD2 are traced), which has exited; the kernel runs in
     * PD1, which maps its code at 0 and windows onto PT2 at 0x6000 and PD2 at 0x7000 (as the
     * kernel's direct map does).
     */
    const exitedProcess = (o: ShadowPagingOptions = {}) => {
      const env = fresh(o);
      const { m, pager } = env;
      map(m, PD1, PT1, 0x0000, 0x0000, P | W);
      map(m, PD1, PT1, 0x6000, PT2, P | W);
      map(m, PD1, PT1, 0x7000, PD2, P | W);
      map(m, PD2, PT2, 0x5000, F1, P | W | U);
      poke(m, F1, 0x1111);
      poke(m, F2, 0x2222);
      pager.setGuestPaging(true, PD2);
      expect(pager.onPageFault(0x5000, U, 3)).to.deep.equal({ kind: 'hidden' });
      expect([pager.isWriteProtected(PT2), pager.isWriteProtected(PD2)]).to.deep.equal([true, true]);
      return env;
    };

    /** frame_alloc reads the free-list link through `window`, then memzero clears the frame with 1024 stores. */
    const allocZeroed = (window: number) => `
        ld r2, [r0+${window}]
        li r1, ${window}
        li r3, 1024
      zero:
        st [r1+0], r0
        addi r1, r1, 4
        subi r3, r3, 1
        jnz zero
        hlt`;

    /** A store by the guest kernel (virtual CPL 0) as a monitor runs it; returns the verdicts it took. */
    const store = (env: ReturnType<typeof fresh>, va: number, value: number): string[] => {
      const { m, pager } = env;
      const kinds: string[] = [];
      m.cpl = 1;
      for (let tries = 0; tries < 3; tries++) {
        try {
          m.write32(va, value);
          return kinds;
        } catch (e) {
          if (!(e instanceof GuestFault) || e.vector !== 14) throw e;
          const v = pager.onPageFault(e.faultAddress, e.errorCode, 0);
          kinds.push(v.kind);
          if (v.kind === 'guest') throw new Error(`guest fault storing at ${hex(va)}`);
          if (v.kind === 'trace') {
            expect(pager.emulateWrite(va, value, 4)).to.equal(true);
            return kinds;
          }
        }
      }
      throw new Error(`store at ${hex(va)} kept faulting`);
    };

    it('rejects an unshadowAfter that is not a positive integer (Infinity: never)', () => {
      for (const unshadowAfter of [0, -1, 1.5, NaN])
        expect(() => fresh({ unshadowAfter }), String(unshadowAfter)).to.throw(RangeError, /unshadowAfter/);
      expect(() => fresh({ unshadowAfter: Infinity })).not.to.throw();
    });

    for (const unshadowAfter of [undefined, 1, 32]) {
      const n = unshadowAfter ?? 8;
      it(`a freed page table zeroed by 1024 stores costs exactly ${n} trace faults${unshadowAfter ? '' : ' (the default)'}, then is no longer protected`, () => {
        const env = exitedProcess({ unshadowAfter });
        const { m, ev, pager } = env;
        const { stop, mon } = runGuest(env, allocZeroed(0x6000), PD1, 10000);
        expect(stop).to.deep.equal(HLT);
        for (let k = 0; k < 1024; k++) if (word(m, PT2 + 4 * k) !== 0) expect.fail(`PT2 word ${k} not zeroed`);
        // the fill of 0x5000, the code page, the read of the link; then n traces and no more faults
        expect(ev.shadowPaging).to.deep.include({ hiddenFaults: 3, traceFaults: n, updates: n, guestFaults: 0 });
        expect(mon.verdicts.map((v) => v.kind)).to.deep.equal(['hidden', 'hidden', ...Array<string>(n).fill('trace')]);
        expect(pager.unshadowed).to.equal(1);
        expect(pager.isWriteProtected(PT2)).to.equal(false);
        expect(pager.isWriteProtected(PD2)).to.equal(true); // still a cached root's directory
        // write access given back at once (the guest entry of the window is dirty now)
        expect(pager.shadowEntry(0x6000)! & (FRAME_MASK | P | W)).to.equal(PT2 | P | W);
        expect(word(m, PT1 + 6 * 4)).to.equal(PT2 | P | W | A | D);
        // the shadow table of PT2 is gone: one root directory (PD1), one table (PT1), PD2's directory
        expect(pager.framesInUse).to.equal(3);
      });
    }

    it('with unshadowAfter Infinity every one of the 1024 stores traces', () => {
      const env = exitedProcess({ unshadowAfter: Infinity });
      const { ev, pager } = env;
      expect(runGuest(env, allocZeroed(0x6000), PD1, 10000).stop).to.deep.equal(HLT);
      expect(ev.shadowPaging).to.deep.include({ traceFaults: 1024 });
      expect(pager.unshadowed).to.equal(0);
      expect(pager.isWriteProtected(PT2)).to.equal(true);
    });

    it('reused as a page table again, the frame is shadowed and protected again', () => {
      const env = exitedProcess();
      const { m, ev, pager } = env;
      expect(runGuest(env, allocZeroed(0x6000), PD1, 10000).stop).to.deep.equal(HLT);
      // the kernel fills the frame as a page table again: plain stores now
      const traces = ev.shadowPaging.traceFaults;
      expect(store(env, 0x6000 + 5 * 4, F2 | P | W | U)).to.deep.equal([]);
      expect(ev.shadowPaging.traceFaults).to.equal(traces);
      pager.setGuestPaging(true, PD2);
      expect(pager.shadowEntry(0x5000)).to.equal(null); // the old shadow is gone (its directory entry was cleared)
      expect(pager.onPageFault(0x5000, U, 3)).to.deep.equal({ kind: 'hidden' });
      expect(pager.shadowEntry(0x5000)! & FRAME_MASK).to.equal(F2);
      expect(pager.isWriteProtected(PT2)).to.equal(true);
      m.cpl = 3;
      expect(m.read32(0x5000)).to.equal(0x2222);
      // back in the kernel, the window onto it lost write access and stores to it trace again
      pager.setGuestPaging(true, PD1);
      expect(pager.shadowEntry(0x6000)! & W).to.equal(0);
      expect(store(env, 0x6000 + 5 * 4, F1 | P | W | U)).to.deep.equal(['trace']);
      pager.setGuestPaging(true, PD2);
      expect(pager.shadowEntry(0x5000)).to.equal(null);
      expect(pager.unshadowed).to.equal(1);
    });

    it('a freed page directory of a cached root: the root is evicted; used as a directory again, it is a new root', () => {
      const env = exitedProcess();
      const { m, ev, pager } = env;
      expect(pager.cachedRoots).to.equal(1);
      expect(runGuest(env, allocZeroed(0x7000), PD1, 10000).stop).to.deep.equal(HLT);
      expect(ev.shadowPaging.traceFaults).to.equal(8);
      expect(pager.unshadowed).to.equal(1);
      expect(pager.cachedRoots).to.equal(1); // only PD1's
      expect([pager.isWriteProtected(PD2), pager.isWriteProtected(PT2)]).to.deep.equal([false, false]);
      expect(pager.framesInUse).to.equal(2);
      // the kernel builds a directory there again and switches to it
      expect(store(env, 0x7000, PT2 | P | W | U)).to.deep.equal([]);
      const misses = ev.shadowPaging.cacheMisses;
      pager.setGuestPaging(true, PD2);
      expect(ev.shadowPaging.cacheMisses).to.equal(misses + 1);
      expect(pager.isWriteProtected(PD2)).to.equal(true);
      expect(pager.onPageFault(0x5000, U, 3)).to.deep.equal({ kind: 'hidden' });
      m.cpl = 3;
      expect(m.read32(0x5000)).to.equal(0x1111);
    });

    it('the directory of the active root is never unshadowed', () => {
      const env = exitedProcess();
      const { ev, pager } = env;
      map(env.m, PD1, PT1, 0x8000, PD1, P | W | D);
      pager.setGuestPaging(true, PD1);
      for (let k = 0; k < 20; k++) expect(store(env, 0x8000 + (512 + k) * 4, 0)).to.deep.equal(['trace']);
      expect(ev.shadowPaging.traceFaults).to.equal(20);
      expect(pager.unshadowed).to.equal(0);
      expect(pager.isWriteProtected(PD1)).to.equal(true);
    });

    it('a use for translation in between resets the count: a fill reading the table, or its directory becoming the active root', () => {
      const env = exitedProcess({ unshadowAfter: 4 });
      const { m, pager } = env;
      map(m, PD2, PT2, 0x8000, F2, P | W | U);
      pager.setGuestPaging(true, PD1);
      for (let k = 0; k < 3; k++) store(env, 0x6000 + (100 + k) * 4, 0);
      // a fill in PD2 reads PD2 and PT2
      pager.setGuestPaging(true, PD2);
      expect(pager.onPageFault(0x8000, U, 3)).to.deep.equal({ kind: 'hidden' });
      pager.setGuestPaging(true, PD1);
      for (let k = 0; k < 3; k++) store(env, 0x6000 + (100 + k) * 4, 0);
      expect(pager.unshadowed).to.equal(0);
      for (let k = 0; k < 3; k++) store(env, 0x7000 + (100 + k) * 4, 0);
      // PD2 becomes the active root (and stops being it again)
      pager.setGuestPaging(true, PD2);
      pager.setGuestPaging(true, PD1);
      for (let k = 0; k < 3; k++) store(env, 0x7000 + (100 + k) * 4, 0);
      expect(pager.unshadowed).to.equal(0);
      expect([pager.isWriteProtected(PT2), pager.isWriteProtected(PD2)]).to.deep.equal([true, true]);
      // the fourth store in a row without a use unshadows
      store(env, 0x6000 + 200 * 4, 0);
      expect(pager.unshadowed).to.equal(1);
      expect(pager.isWriteProtected(PT2)).to.equal(false);
      store(env, 0x7000 + 200 * 4, 0);
      expect(pager.unshadowed).to.equal(2);
      expect(pager.isWriteProtected(PD2)).to.equal(false);
    });

    it('a page table of the active address space is never unshadowed (ptemod); once it is not, its count starts afresh', () => {
      const env = fresh({ unshadowAfter: 3 });
      const { m, ev, pager } = env;
      const PT3 = 0x15000;
      map(m, PD1, PT1, 0x5000, F1, P | W | U);
      map(m, PD1, PT3, 0x400000, PT1, P | W | D); // a kernel window onto PT1, in both address spaces
      map(m, PD2, PT3, 0x400000, PT1, P | W | D);
      poke(m, F1, 0x1111);
      poke(m, F2, 0x2222);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, U, 3);
      pager.onPageFault(0x400000, 0, 0);
      // a live entry rewritten over and over, each time with INVLPG and no access in between
      for (let k = 0; k < 20; k++) {
        expect(store(env, 0x400000 + 5 * 4, (k % 2 ? F1 : F2) | P | W | U)).to.deep.equal(['trace']);
        pager.invalidatePage(0x5000);
      }
      expect(ev.shadowPaging.traceFaults).to.equal(20);
      expect(pager.unshadowed).to.equal(0);
      expect(pager.isWriteProtected(PT1)).to.equal(true);
      // in another address space PT1 is no longer in use: unshadowAfter stores in a row unshadow it
      pager.setGuestPaging(true, PD2);
      pager.onPageFault(0x400000, 0, 0);
      for (let k = 0; k < 2; k++) expect(store(env, 0x400000 + (100 + k) * 4, 0)).to.deep.equal(['trace']);
      expect(pager.unshadowed).to.equal(0);
      expect(store(env, 0x400000 + 102 * 4, 0)).to.deep.equal(['trace']);
      expect(pager.unshadowed).to.equal(1);
      expect(pager.isWriteProtected(PT1)).to.equal(false);
      expect(store(env, 0x400000 + 5 * 4, F2 | P | W | U)).to.deep.equal([]);
      // back in the first address space, the shadow directory entry for PT1 is gone: refilled from the new entry
      pager.setGuestPaging(true, PD1);
      expect(word(m, pager.shadowRoot!)).to.equal(0);
      m.cpl = 3;
      expect(() => m.read32(0x5000)).to.throw(GuestFault);
      expect(pager.onPageFault(0x5000, U, 3)).to.deep.equal({ kind: 'hidden' });
      expect(m.read32(0x5000)).to.equal(0x2222);
      expect(pager.isWriteProtected(PT1)).to.equal(true);
    });

    it('write access is given back only where the guest entry allows writing and is dirty', () => {
      const env = exitedProcess({ unshadowAfter: 2 });
      const { m, pager } = env;
      map(m, PD1, PT1, 0x9000, PT2, P | W); // clean
      map(m, PD1, PT1, 0xa000, PT2, P); // read-only
      pager.setGuestPaging(true, PD1);
      for (const va of [0x6000, 0x9000, 0xa000]) pager.onPageFault(va, 0, 0);
      store(env, 0x6000 + 100 * 4, 0);
      store(env, 0x6000 + 101 * 4, 0);
      expect(pager.unshadowed).to.equal(1);
      expect(pager.shadowEntry(0x6000)! & W).to.equal(W);
      expect(pager.shadowEntry(0x9000)! & W).to.equal(0);
      expect(pager.shadowEntry(0xa000)! & W).to.equal(0);
      // the first store through the clean mapping is a hidden fault that sets its dirty bit
      expect(store(env, 0x9000, 7)).to.deep.equal(['hidden']);
      expect(word(m, PT1 + 9 * 4)).to.equal(PT2 | P | W | A | D);
      m.cpl = 1;
      expect(() => m.write32(0xa000, 7)).to.throw(GuestFault);
      expect(pager.onPageFault(0xa000, P | W, 0)).to.deep.equal({ kind: 'guest', errorCode: P | W, address: 0xa000 });
    });
  });

  describe('running out of VMM frames', () => {
    it('drops every shadow structure and starts over: correct, just slower', () => {
      // three VMM frames: a directory and two tables
      const { m, ev, pager } = fresh({ guest: MACHINE - 3 * 4096 });
      for (const [i, f] of [F1, F2, F3].entries()) map(m, PD1, PT1 + i * 0x1000, i << 22, f, P | W | D);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0 << 22, 0, 0);
      pager.onPageFault(1 << 22, 0, 0);
      expect(pager.framesInUse).to.equal(3);
      expect(pager.onPageFault(2 << 22, 0, 0)).to.deep.equal({ kind: 'hidden' });
      expect(pager.resets).to.equal(1);
      expect(pager.framesInUse).to.equal(2);
      expect(m.cr[3]).to.equal(pager.shadowRoot);
      expect(pager.shadowEntry(2 << 22)! & FRAME_MASK).to.equal(F3);
      expect(pager.shadowEntry(0)).to.equal(null);
      expect(pager.isWriteProtected(PT1)).to.equal(false);
      expect(pager.isWriteProtected(PD1)).to.equal(true);
      expect(pager.onPageFault(0, 0, 0)).to.deep.equal({ kind: 'hidden' });
      expect(ev.shadowPaging.hiddenFaults).to.equal(4);
    });

    it('creating a root when the pool is dry starts over too', () => {
      const { m, pager } = fresh({ guest: MACHINE - 2 * 4096 });
      map(m, PD1, PT1, 0x5000, F1, P | W);
      pager.setGuestPaging(true, PD1);
      pager.onPageFault(0x5000, 0, 0);
      pager.setGuestPaging(true, PD2);
      pager.setGuestPaging(true, PT2);
      expect(pager.resets).to.equal(1);
      expect(pager.cachedRoots).to.equal(2);
      expect(m.cr[3]).to.equal(pager.shadowRoot);
    });
  });
});
