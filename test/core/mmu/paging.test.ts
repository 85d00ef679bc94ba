import { expect } from 'chai';
import type { Cpu } from '../../../core/cpu/cpu';

import {
  A,
  D,
  enterUser,
  identity,
  idt,
  mapPages,
  P,
  PAGING_ON,
  PD,
  poke,
  PT,
  runSnippet,
  stopOf,
  sym,
  U,
  W,
  word,
  wordsAt,
} from '../machine-helpers';
import { countsOf } from '../counts';
import { GuestFault } from '../../../core/isa/fault';
import { Vector } from '../../../core/isa/table';
import { NO_ADDRESS } from '../../../core/mmu/mmu';
import { Access } from '../../../core/mmu/pte';

const pte = (m: Cpu, va: number) => word(m, PT + (va >>> 12) * 4);

describe('MMU: two-level paging', () => {
  describe('enabling paging, walks and accessed/dirty bits', () => {
    const PROGRAM = `${PAGING_ON}
        ld r2, [r0+0x5000]
        hlt`;
    const setup = (m: Cpu) => {
      mapPages(m, identity(0, 0x6000, P | W));
      poke(m, 0x5000, 0x1234);
    };

    it('runs on after cr0.PG is set; exact TLB counts', () => {
      const m = runSnippet(PROGRAM, { setup });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: 32 });
      expect(m.regs[2]).to.equal(0x1234);
      // fetch ld: miss; its immediate word: hit; data: miss; fetch hlt: hit. Before PG: nothing.
      expect(countsOf(m).tlb).to.deep.equal({ hits: 2, misses: 2, walkReferences: 4, flushes: 2, invlpg: 0 });
      expect(countsOf(m).controlRegisterWrites).to.deep.equal({ cr3: 1, cr0: 1 });
    });

    it('walks set the accessed bits of the directory and table entries they use, reads leave dirty clear', () => {
      const m = runSnippet(PROGRAM, { setup });
      expect(word(m, PD)).to.equal(PT | P | W | U | A);
      expect(pte(m, 0x0000)).to.equal(0x0000 | P | W | A);
      expect(pte(m, 0x5000)).to.equal(0x5000 | P | W | A);
      expect(pte(m, 0x4000)).to.equal(0x4000 | P | W);
    });

    it('a write sets the dirty bit; the first write after a read re-walks to set it', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x5000]
        st [r0+0x5000], r2
        st [r0+0x5004], r2
        hlt`, { setup });
      expect(pte(m, 0x5000)).to.equal(0x5000 | P | W | A | D);
      expect(pte(m, 0x0000)).to.equal(0x0000 | P | W | A);
      // misses: code, ld, first st (dirty update); hits: 3 immediates, 3 fetches, second st
      expect(countsOf(m).tlb).to.deep.include({ hits: 7, misses: 3, walkReferences: 6 });
    });

    it('lookup and the try accessors leave a page fault as a value; translate and read32 throw it', () => {
      const m = runSnippet(PROGRAM, { setup });
      expect(m.mmu.lookup(0x9000, Access.read, false)).to.equal(NO_ADDRESS);
      const f = m.mmu.fault!;
      expect([f.vector, f.faultAddress, f.errorCode]).to.deep.equal([Vector.pageFault, 0x9000, 0]);
      expect(m.mmu.takeFault()).to.equal(f);
      expect(m.mmu.fault).to.equal(null);
      expect(m.tryRead32(0x9004)).to.equal(0);
      expect(m.mmu.takeFault().faultAddress).to.equal(0x9004);
      m.tryWrite8(0x9008, 1);
      expect(m.mmu.takeFault().errorCode).to.equal(2);
      let thrown: unknown = null;
      try {
        m.write32(0x900c, 7);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(GuestFault);
      expect([(thrown as GuestFault).faultAddress, (thrown as GuestFault).errorCode]).to.deep.equal([0x900c, 2]);
      expect(m.mmu.fault).to.equal(null);
      expect([m.mmu.lookup(0x5000, Access.read, false), m.mmu.fault, m.tryRead32(0x5000), m.read32(0x5000)]).to.deep.equal([0x5000, null, 0x1234, 0x1234]);
    });

    it('translates through the tables: a linear page maps to another frame', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x5008]
        li r3, 0xbeef
        st [r0+0x500c], r3
        hlt`, {
        setup: (m) => {
          mapPages(m, [...identity(0, 0x1000, P | W), [0x5000, 0x9000, P | W]]);
          poke(m, 0x9008, 77);
        },
      });
      expect(m.regs[2]).to.equal(77);
      expect(word(m, 0x900c)).to.equal(0xbeef);
      expect(word(m, 0x500c)).to.equal(0);
    });

    it('turning paging off flushes the TLB and translation stops', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r2, [r0+0x5000]
        li r1, 0
        wrcr cr0, r1
        ld r3, [r0+0x5000]
        smsw r4
        hlt`, {
        setup: (m) => {
          mapPages(m, [...identity(0, 0x1000, P | W), [0x5000, 0x9000, P | W]]);
          poke(m, 0x9000, 9);
          poke(m, 0x5000, 5);
        },
      });
      expect([m.regs[2], m.regs[3], m.regs[4]]).to.deep.equal([9, 5, 0]);
      expect(countsOf(m).tlb.flushes).to.equal(3);
      expect(m.mmu.paging).to.equal(false);
    });
  });

  describe('page-fault error codes (P=1 W=2 U=4 I=16) and cr2', () => {
    /**
     * Pages: 0x0000 code+IDT (user RW), 0x1000 kernel stack (supervisor RW), 0x2000 user
     * stack (user RW), 0x5000 supervisor RW, 0x6000 user read-only, 0x7000 user RW,
     * 0x8000 not present, 0x9000 supervisor read-only.
     */
    const layout = (m: Cpu) =>
      mapPages(m, [
        [0x0000, 0x0000, P | W | U],
        [0x1000, 0x1000, P | W],
        [0x2000, 0x2000, P | W | U],
        [0x5000, 0x5000, P | W],
        [0x6000, 0x6000, P | U],
        [0x7000, 0x7000, P | W | U],
        [0x9000, 0x9000, P],
      ]);

    const kernel = (line: string) =>
      runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
${PAGING_ON}
        li r3, 0x8000
fault:  ${line}
        hlt
pf:     hlt
${idt({ 14: 'pf' })}`, { setup: layout });

    const user = (line: string) =>
      runSnippet(`${enterUser(0, PAGING_ON)}
        li r3, 0x8000
fault:  ${line}
        hlt
pf:     hlt
${idt({ 14: 'pf' })}`, { setup: layout });

    /** [what, mode, instruction(s) at label fault, cr2, error code, faulting pc if not 'fault'] */
    const cases: [string, 'kernel' | 'user', string, number, number, number?][] = [
      ['read, not present', 'kernel', 'ld r2, [r0+0x8004]', 0x8004, 0],
      ['write, not present', 'kernel', 'st [r0+0x8008], r2', 0x8008, 2],
      ['write, read-only page', 'kernel', 'st [r0+0x9000], r2', 0x9000, 3],
      ['byte write, read-only page', 'kernel', 'stb [r0+0x9003], r2', 0x9003, 3],
      ['fetch, not present', 'kernel', 'jmpr r3', 0x8000, 16, 0x8000],
      ['read, directory entry not present', 'kernel', 'ld r2, [r0+0x400000]', 0x400000, 0],
      ['read, not present', 'user', 'ld r2, [r0+0x8004]', 0x8004, 4],
      ['read, supervisor page', 'user', 'ld r2, [r0+0x5000]', 0x5000, 5],
      ['write, supervisor page', 'user', 'st [r0+0x5000], r2', 0x5000, 7],
      ['write, read-only user page', 'user', 'st [r0+0x6010], r2', 0x6010, 7],
      ['fetch, not present', 'user', 'jmpr r3', 0x8000, 20, 0x8000],
      ['fetch, supervisor page', 'user', 'addi r3, r3, 0x1000\njmpr r3', 0x9000, 21, 0x9000],
      ['push on a read-only page', 'user', 'li sp, 0x7000\nfault2: push r2', 0x6ffc, 7],
    ];
    for (const [what, mode, line, address, error, pc] of cases) {
      it(`${mode} ${what}: error code ${error}, cr2 = 0x${address.toString(16)}`, () => {
        const m = mode === 'kernel' ? kernel(line) : user(line);
        expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
        expect(m.cr[2] >>> 0).to.equal(address);
        const faultPc = pc ?? (line.includes('fault2') ? sym(m, 'fault2') : sym(m, 'fault'));
        expect(m.regs[15]).to.equal(0x2000 - 20);
        expect(wordsAt(m, 0x2000 - 20, 3)).to.deep.equal([error, faultPc, mode === 'kernel' ? 0 : 3]);
        expect(countsOf(m).exceptions).to.deep.equal({ 14: 1 });
      });
    }

    it('user reads of user pages and writes to writable user pages succeed', () => {
      const m = runSnippet(`${enterUser(0, PAGING_ON)}
        ld r2, [r0+0x6000]
        st [r0+0x7000], r3
        push r2
        int 0x80
sys:    hlt
pf:     hlt
${idt({ 14: 'pf', 0x80: ['sys', 'UGATE'] })}`, { setup: layout });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(countsOf(m).exceptions).to.deep.equal({});
    });

    it('a user access is checked against the cached permissions of a TLB entry filled by the kernel', () => {
      const m = runSnippet(`${enterUser(0, `${PAGING_ON}\nld r2, [r0+0x5000]`)}
fault:  ld r2, [r0+0x5000]
pf:     hlt
${idt({ 14: 'pf' })}`, { setup: layout });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
      expect(wordsAt(m, 0x2000 - 20, 2)).to.deep.equal([5, sym(m, 'fault')]);
    });

    it('a directory entry without U makes its pages supervisor-only', () => {
      const m = runSnippet(`${enterUser(0, PAGING_ON)}
fault:  ld r2, [r0+0x7000]
pf:     hlt
${idt({ 14: 'pf' })}`, {
        setup: (m) => {
          mapPages(m, [
            [0x0000, 0x0000, P | W | U],
            [0x1000, 0x1000, P | W | U],
            [0x2000, 0x2000, P | W | U],
            [0x7000, 0x7000, P | W | U],
          ], { pdeFlags: P | W });
        },
      });
      // the IRET to ring 3 already faults on its first user fetch at 'fault'
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
      expect(wordsAt(m, 0x2000 - 20, 2)).to.deep.equal([4 | 16 | 1, sym(m, 'fault')]);
      expect(m.cr[2]).to.equal(sym(m, 'fault'));
    });
  });
  describe('accesses that straddle a page boundary', () => {
    const split = (m: Cpu) =>
      mapPages(m, [...identity(0, 0x1000, P | W), [0x1000, 0x5000, P | W], [0x2000, 0x9000, P | W]]);

    it('a word read is assembled from both frames', () => {
      const m = runSnippet(`${PAGING_ON}
        ld r3, [r0+0x1ffe]
        hlt`, {
        setup: (m) => {
          split(m);
          m.memory.u8.set([0x11, 0x22], 0x5ffe);
          m.memory.u8.set([0x33, 0x44], 0x9000);
        },
      });
      expect(m.regs[3] >>> 0).to.equal(0x44332211);
    });

    // BUG: Cpu.write32 on a page-straddling address writes byte 0 to the wrong frame. Its
    // byte loop picks p0 only when ((va+i) & 0xfff) > (va & 0xfff), which is false for i = 0,
    // so byte 0 goes to p1 - 3 (= 0x8ffe here, the frame *before* the second page's frame)
    // instead of p0 (= 0x5ffe). Hidden when paging is off (frames contiguous). Expected bytes
    // 0x5ffe..0x5fff = dd cc, 0x9000..0x9001 = bb aa and the reload 0xaabbccdd; actual:
    // 0x5ffe = 00, 0x8ffe = dd, reload 0xaabbcc00.
    it('a word write goes to both frames', () => {
      const m = runSnippet(`${PAGING_ON}
        li r2, 0xaabbccdd
        st [r0+0x1ffe], r2
        ld r3, [r0+0x1ffe]
        hlt`, { setup: split });
      expect(Array.from(m.memory.u8.subarray(0x5ffe, 0x6000))).to.deep.equal([0xdd, 0xcc]);
      expect(Array.from(m.memory.u8.subarray(0x9000, 0x9002))).to.deep.equal([0xbb, 0xaa]);
      expect(Array.from(m.memory.u8.subarray(0x8ffe, 0x9000))).to.deep.equal([0, 0]);
      expect(m.regs[3] >>> 0).to.equal(0xaabbccdd);
    });

    it('a straddling write faults before writing anything when the second page is read-only', () => {
      const m = runSnippet(`
        li sp, 0x800
        li r1, IDT
        lidt r1
${PAGING_ON}
        li r2, 0xaabbccdd
fault:  st [r0+0x1ffe], r2
        hlt
pf:     hlt
${idt({ 14: 'pf' })}`, {
        setup: (m) => mapPages(m, [...identity(0, 0x1000, P | W), [0x1000, 0x5000, P | W], [0x2000, 0x9000, P]]),
      });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
      expect(m.cr[2]).to.equal(0x2001);
      expect(wordsAt(m, 0x800 - 20, 2)).to.deep.equal([3, sym(m, 'fault')]);
      expect(Array.from(m.memory.u8.subarray(0x5ffe, 0x6000))).to.deep.equal([0, 0]);
    });

    it("an 8-byte instruction whose immediate word is on an unmapped page: #PF (fetch) at the instruction", () => {
      const m = runSnippet(`
        li sp, 0x800
        li r1, IDT
        lidt r1
${PAGING_ON}
        li r3, 0xffc
        jmpr r3
pf:     hlt
${idt({ 14: 'pf' })}
        .org 0xffc
        li r4, 1`, { setup: (m) => mapPages(m, identity(0, 0x1000, P | W)) });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
      expect(m.cr[2]).to.equal(0x1000);
      expect(wordsAt(m, 0x800 - 20, 2)).to.deep.equal([16, 0xffc]);
    });

    it('an 8-byte instruction straddling two mapped pages takes its immediate from the second frame', () => {
      const m = runSnippet(`${PAGING_ON}
        li r3, 0xffc
        jmpr r3
        .org 0xffc
        li r4, 1`, {
        setup: (m) => {
          mapPages(m, [...identity(0, 0x1000, P | W), [0x1000, 0x7000, P | W]]);
          m.memory.write32(0x7000, 0x1234);
          m.memory.write32(0x7004, 0x52000000); // hlt
        },
      });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: 0x1004 });
      expect(m.regs[4]).to.equal(0x1234);
    });
  });
});
