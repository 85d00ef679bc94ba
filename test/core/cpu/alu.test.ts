import { expect } from 'chai';
import { arith, runSnippet, stopOf, sym, u32, wordsAt } from '../machine-helpers';
import { countsOf } from '../counts';
import { divisionFault } from '../../../core/cpu/semantics';
import { Vector } from '../../../core/isa/table';

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Sets ZF|CF|OF (0x80000000 + 0x80000000) so that tests see which flags an operation clears. */
const PRELUDE = `
        li r14, 0x80000000
        add r13, r14, r14
`;

type Case = readonly [x: number, y: number, result: number, flags: string];

/** `op r3, r1, r2` (or `op r3, r1, y` for immediate forms) after the prelude, then HLT. */
const runOp = (op: string, x: number, y: number, immediate: boolean) =>
  runSnippet(`${PRELUDE}
        li r1, ${hex(x)}
        li r2, ${hex(y)}
        ${immediate ? `${op} r3, r1, ${hex(y)}` : `${op} r3, r1, r2`}
        hlt
`);

const table = (op: string, cases: readonly Case[], immediate = false) =>
  describe(op, () => {
    for (const [x, y, result, flags] of cases) {
      it(`${hex(x)} ${op} ${hex(y)} = ${hex(result)} [${flags}]`, () => {
        const m = runOp(op, x, y, immediate);
        expect(stopOf(m).kind).to.equal('halted');
        expect(u32(m, 3)).to.equal(result >>> 0);
        expect(arith(m.flags)).to.equal(flags);
        expect(u32(m, 1)).to.equal(x >>> 0);
        expect(u32(m, 2)).to.equal(y >>> 0);
        expect(countsOf(m).retiredByRing).to.deep.equal([6, 0, 0, 0]);
      });
    }
  });

describe('CPU: arithmetic and logic', () => {
  table('add', [
    [1, 2, 3, ''],
    [0x7fffffff, 1, 0x80000000, 'SF|OF'],
    [0xffffffff, 1, 0, 'CF|ZF'],
    [0x80000000, 0x80000000, 0, 'CF|ZF|OF'],
    [0xffffffff, 0xffffffff, 0xfffffffe, 'CF|SF'],
    [0, 0, 0, 'ZF'],
  ]);
  table('sub', [
    [5, 3, 2, ''],
    [3, 5, 0xfffffffe, 'CF|SF'],
    [7, 7, 0, 'ZF'],
    [0x80000000, 1, 0x7fffffff, 'OF'],
    [0, 0x80000000, 0x80000000, 'CF|SF|OF'],
    [0x7fffffff, 0xffffffff, 0x80000000, 'CF|SF|OF'],
  ]);
  table('and', [
    [0xff00ff00, 0x0ff00ff0, 0x0f000f00, ''],
    [0xf0, 0x0f, 0, 'ZF'],
    [0x80000001, 0x80000000, 0x80000000, 'SF'],
  ]);
  table('or', [
    [0xf0, 0x0f, 0xff, ''],
    [0, 0, 0, 'ZF'],
    [0x80000000, 1, 0x80000001, 'SF'],
  ]);
  table('xor', [
    [0xff, 0xff, 0, 'ZF'],
    [0xffffffff, 0x0f0f0f0f, 0xf0f0f0f0, 'SF'],
    [0x5, 0x3, 0x6, ''],
  ]);
  table('shl', [
    [1, 31, 0x80000000, 'SF'],
    [1, 33, 2, ''],
    [0x80000000, 1, 0, 'ZF'],
    [3, 0, 3, ''],
    [3, 32, 3, ''],
  ]);
  table('shr', [
    [0x80000000, 31, 1, ''],
    [0x80000000, 32, 0x80000000, 'SF'],
    [0xf0, 4, 0xf, ''],
    [1, 1, 0, 'ZF'],
  ]);
  table('sar', [
    [0x80000000, 31, 0xffffffff, 'SF'],
    [0x80000000, 4, 0xf8000000, 'SF'],
    [0x40, 3, 8, ''],
    [0x7fffffff, 63, 0, 'ZF'],
  ]);
  table('mul', [
    [6, 7, 42, ''],
    [0xfffffffd, 5, 0xfffffff1, 'SF'],
    [0x10000, 0x10000, 0, 'CF|ZF|OF'],
    [0x40000000, 2, 0x80000000, 'CF|SF|OF'],
    [0xffffffff, 0x80000000, 0x80000000, 'CF|SF|OF'],
    [0xffffffff, 0xffffffff, 1, ''],
    [0x12345, 0, 0, 'ZF'],
  ]);
  // div and rem leave the flags alone (the prelude's CF|ZF|OF survive)
  table('div', [
    [7, 2, 3, 'CF|ZF|OF'],
    [0xfffffff9, 2, 0xfffffffd, 'CF|ZF|OF'],
    [7, 0xfffffffe, 0xfffffffd, 'CF|ZF|OF'],
    [0x80000000, 2, 0xc0000000, 'CF|ZF|OF'],
    [0x80000000, 1, 0x80000000, 'CF|ZF|OF'],
    [0x7fffffff, 0xffffffff, 0x80000001, 'CF|ZF|OF'],
  ]);
  table('rem', [
    [7, 2, 1, 'CF|ZF|OF'],
    [0xfffffff9, 2, 0xffffffff, 'CF|ZF|OF'],
    [7, 0xfffffffe, 1, 'CF|ZF|OF'],
    [7, 7, 0, 'CF|ZF|OF'],
    [0x80000000, 3, 0xfffffffe, 'CF|ZF|OF'],
  ]);
  table('addi', [
    [0x7fffffff, 1, 0x80000000, 'SF|OF'],
    [5, 0xffffffff, 4, 'CF'],
    [1, 0xffffffff, 0, 'CF|ZF'],
  ], true);
  table('subi', [
    [0, 1, 0xffffffff, 'CF|SF'],
    [0x80000000, 1, 0x7fffffff, 'OF'],
    [9, 9, 0, 'ZF'],
  ], true);
  table('andi', [[0x1234, 0xff, 0x34, ''], [0x100, 0xff, 0, 'ZF']], true);
  table('ori', [[0x1200, 0x34, 0x1234, ''], [0, 0x80000000, 0x80000000, 'SF']], true);
  table('xori', [[0xff, 0xffffffff, 0xffffff00, 'SF'], [0x1234, 0x1234, 0, 'ZF']], true);
  table('shli', [[1, 4, 16, ''], [1, 32, 1, ''], [0xc0000000, 1, 0x80000000, 'SF']], true);
  table('shri', [[0x80000000, 28, 8, ''], [0xff, 8, 0, 'ZF']], true);
  table('sari', [[0x80000000, 28, 0xfffffff8, 'SF'], [0x7f, 8, 0, 'ZF']], true);
  table('muli', [[0x10000, 0x10000, 0, 'CF|ZF|OF'], [12, 0xfffffffe, 0xffffffe8, 'SF']], true);

  describe('cmp, cmpi, test: flags only', () => {
    const flagsOnly = (line: string, x: number, y: number) =>
      runSnippet(`${PRELUDE}
        li r1, ${hex(x)}
        li r2, ${hex(y)}
        li r3, 0x55
        ${line}
        hlt
`);
    const cases: readonly [string, number, number, string][] = [
      ['cmp r1, r2', 5, 3, ''],
      ['cmp r1, r2', 3, 5, 'CF|SF'],
      ['cmp r1, r2', 7, 7, 'ZF'],
      ['cmp r1, r2', 0x80000000, 1, 'OF'],
      ['cmp r1, r2', 0, 0x80000000, 'CF|SF|OF'],
      ['cmpi r1, 0xffffffff', 0, 0, 'CF'],
      ['cmpi r1, 0x10', 0x10, 0, 'ZF'],
      ['cmpi r1, 1', 0x80000000, 0, 'OF'],
      ['test r1, r2', 0xf0, 0x0f, 'ZF'],
      ['test r1, r2', 0x80000000, 0xffffffff, 'SF'],
      ['test r1, r2', 6, 3, ''],
    ];
    for (const [line, x, y, flags] of cases) {
      it(`${line} with r1 = ${hex(x)}, r2 = ${hex(y)}: [${flags}], registers unchanged`, () => {
        const m = flagsOnly(line, x, y);
        expect(arith(m.flags)).to.equal(flags);
        expect([u32(m, 1), u32(m, 2), u32(m, 3)]).to.deep.equal([x >>> 0, y >>> 0, 0x55]);
        expect(m.instructions).to.equal(7);
      });
    }
  });

  describe('not, neg, mov, li', () => {
    const unary = (line: string, x: number) =>
      runSnippet(`${PRELUDE}
        li r3, ${hex(x)}
        ${line}
        hlt
`);
    it('not inverts and leaves the flags alone', () => {
      const m = unary('not r3', 0x0f0f0000);
      expect(u32(m, 3)).to.equal(0xf0f0ffff);
      expect(arith(m.flags)).to.equal('CF|ZF|OF');
    });
    for (const [x, r, flags] of [
      [0, 0, 'ZF'],
      [1, 0xffffffff, 'CF|SF'],
      [0xffffffff, 1, 'CF'],
      [0x80000000, 0x80000000, 'CF|SF|OF'],
    ] as const) {
      it(`neg ${hex(x)} = ${hex(r)} [${flags}]`, () => {
        const m = unary('neg r3', x);
        expect(u32(m, 3)).to.equal(r);
        expect(arith(m.flags)).to.equal(flags);
      });
    }
    it('mov copies a register; li loads any 32-bit value; neither touches flags', () => {
      const m = unary('mov r4, r3\n li r5, -7\n li r6, 0xffffffff', 0xdeadbeef);
      expect([u32(m, 4), m.regs[5], m.regs[6]]).to.deep.equal([0xdeadbeef, -7, -1]);
      expect(arith(m.flags)).to.equal('CF|ZF|OF');
    });
  });

  describe('r0', () => {
    it('reads as zero whatever is written to it', () => {
      const m = runSnippet(`
        li r0, 5
        addi r0, r0, 7
        mov r1, r0
        li r2, 9
        mov r0, r2
        add r3, r0, r2
        ld r4, [r0+data]
        pop r0
        hlt
data:   .word 0x1234
`, { setup: (m) => (m.regs[15] = 0x1000) });
      expect(m.regs[0]).to.equal(0);
      expect(m.regs[1]).to.equal(0);
      expect(m.regs[3]).to.equal(9);
      expect(m.regs[4]).to.equal(0x1234);
      expect(m.regs[15]).to.equal(0x1004);
      expect(m.instructions).to.equal(9);
    });
  });

  describe('memory', () => {
    it('ld/st words, ldb zero-extends, stb writes one byte', () => {
      const m = runSnippet(`
        li r1, 0xffffff80
        li r2, 0x1000
        st [r2+4], r1
        ldb r3, [r2+4]
        li r4, 0x11223344
        st [r2+8], r4
        li r5, 0xabcd
        stb [r2+9], r5
        ld r6, [r2+8]
        ldb r7, [r0+0x100b]
        hlt
`);
      expect(u32(m, 3)).to.equal(0x80);
      expect(wordsAt(m, 0x1004, 2)).to.deep.equal([0xffffff80, 0x1122cd44]);
      expect(u32(m, 6)).to.equal(0x1122cd44);
      expect(u32(m, 7)).to.equal(0x11);
      expect(m.instructions).to.equal(11);
    });

    it('misaligned word loads and stores are little-endian byte-exact', () => {
      const m = runSnippet(`
        li r1, 0x44332211
        li r2, 0x88776655
        st [r0+0x1000], r1
        st [r0+0x1004], r2
        ld r3, [r0+0x1002]
        li r4, 0xaabbccdd
        st [r0+0x1ffe], r4
        ld r5, [r0+0x1ffe]
        hlt
`);
      expect(u32(m, 3)).to.equal(0x66554433);
      expect(u32(m, 5)).to.equal(0xaabbccdd);
      expect(Array.from(m.memory.u8.subarray(0x1ffe, 0x2002))).to.deep.equal([0xdd, 0xcc, 0xbb, 0xaa]);
    });
  });

  describe('divide error (#DE)', () => {
    const divide = (op: string, x: number, y: number) =>
      runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r3, 0x55
        li r1, ${hex(x)}
        li r2, ${hex(y)}
fault:  ${op} r3, r1, r2
        hlt
de:     hlt
        .org IDT
        .word de, KGATE
`);
    for (const [op, x, y] of [
      ['div', 5, 0],
      ['div', 0x80000000, 0xffffffff],
      ['rem', 5, 0],
      ['rem', 0x80000000, 0xffffffff],
    ] as const) {
      it(`${op} ${hex(x)}, ${hex(y)} raises #DE at the instruction and leaves ra unchanged`, () => {
        const m = divide(op, x, y);
        expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'de') });
        expect(u32(m, 3)).to.equal(0x55);
        // frame: old sp, flags, cs, return pc (no error code for vector 0)
        expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'fault'), 0, 0, 0x2000]);
        expect(m.regs[15]).to.equal(0x2000 - 16);
        expect(countsOf(m).exceptions).to.deep.equal({ 0: 1 });
        // li, li, lidt, li, li, li retire; the div does not; the handler's hlt does
        expect(m.instructions).to.equal(7);
      });
    }
    it('divisionFault is #DE exactly for a zero divisor and for INT_MIN / -1', () => {
      const f = (a: number, b: number) => {
        const e = divisionFault(a | 0, b | 0);
        return e === null ? null : [e.vector, e.detail];
      };
      expect([f(5, 0), f(0, 0), f(0x80000000, 0xffffffff)]).to.deep.equal([
        [Vector.divideError, 'division by zero'],
        [Vector.divideError, 'division by zero'],
        [Vector.divideError, 'division overflow'],
      ]);
      expect([f(0x80000000, 1), f(0x7fffffff, 0xffffffff), f(-7, 2), f(0, 5)]).to.deep.equal([null, null, null, null]);
    });
  });
});
