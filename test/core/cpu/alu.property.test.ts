import { expect } from 'chai';
import * as fc from 'fast-check';

import { uniprocessor } from '../../../core/platform/uniprocessor';
import { encode, makeInstruction } from '../../../core/isa/codec';
import type { Mnemonic } from '../../../core/isa/table';
import { countsOf } from '../counts';
import { mulFlags } from '../../../core/cpu/semantics';

/** A tiny reference model of the ALU subset: 16 registers (r0 reads zero) and CF/ZF/SF/OF. */
interface Model {
  regs: number[];
  cf: boolean;
  zf: boolean;
  sf: boolean;
  of: boolean;
}

type Op = { m: Mnemonic; ra: number; rb: number; rc: number; imm: number };

const RRR = ['add', 'sub', 'and', 'or', 'xor', 'shl', 'shr', 'sar', 'mul'] as const;
const RRI = ['addi', 'subi', 'andi', 'ori', 'xori', 'shli', 'shri', 'sari', 'muli'] as const;
const OTHER = ['cmp', 'cmpi', 'test', 'not', 'neg', 'mov', 'li', 'nop'] as const;

const s32 = (x: number) => x | 0;

/** The value of a binary operation as a mathematical integer, and its 32-bit result. */
const binary = (op: string, x: number, y: number): { r: number; cf: boolean; of: boolean; arith: boolean } => {
  const ux = x >>> 0;
  const uy = y >>> 0;
  switch (op) {
    case 'add': {
      const r = s32(ux + uy);
      return { r, cf: ux + uy > 0xffffffff, of: x + y !== r, arith: true };
    }
    case 'sub': {
      const r = s32(ux - uy);
      return { r, cf: ux < uy, of: x - y !== r, arith: true };
    }
    case 'mul': {
      const exact = BigInt(x) * BigInt(y);
      const r = Number(BigInt.asIntN(32, exact));
      return { r, cf: exact !== BigInt(r), of: exact !== BigInt(r), arith: true };
    }
    case 'and':
      return { r: x & y, cf: false, of: false, arith: false };
    case 'or':
      return { r: x | y, cf: false, of: false, arith: false };
    case 'xor':
      return { r: x ^ y, cf: false, of: false, arith: false };
    case 'shl':
      return { r: s32(Number((BigInt(ux) << BigInt(uy % 32)) & 0xffffffffn)), cf: false, of: false, arith: false };
    case 'shr':
      return { r: s32(Math.floor(ux / 2 ** (uy % 32))), cf: false, of: false, arith: false };
    case 'sar':
      return { r: s32(Math.floor(x / 2 ** (uy % 32))), cf: false, of: false, arith: false };
  }
  throw new Error(op);
};

const setFlags = (s: Model, r: number, cf: boolean, of: boolean) => {
  s.zf = r === 0;
  s.sf = r < 0;
  s.cf = cf;
  s.of = of;
};

const step = (s: Model, { m, ra, rb, rc, imm }: Op): void => {
  const reg = (i: number) => (i === 0 ? 0 : s.regs[i]);
  const set = (i: number, v: number) => {
    if (i !== 0) s.regs[i] = s32(v);
  };
  const base = m.endsWith('i') && m !== 'cmpi' && m !== 'li' ? m.slice(0, -1) : m;
  if ((RRR as readonly string[]).includes(m) || (RRI as readonly string[]).includes(m)) {
    const y = (RRR as readonly string[]).includes(m) ? reg(rc) : imm;
    const { r, cf, of } = binary(base, reg(rb), y);
    set(ra, r);
    setFlags(s, r, cf, of);
    return;
  }
  switch (m) {
    case 'cmp':
    case 'cmpi': {
      const { r, cf, of } = binary('sub', reg(ra), m === 'cmp' ? reg(rb) : imm);
      setFlags(s, r, cf, of);
      return;
    }
    case 'test':
      setFlags(s, reg(ra) & reg(rb), false, false);
      return;
    case 'not':
      set(ra, ~reg(ra));
      return;
    case 'neg': {
      const { r, cf, of } = binary('sub', 0, reg(ra));
      set(ra, r);
      setFlags(s, r, cf, of);
      return;
    }
    case 'mov':
      set(ra, reg(rb));
      return;
    case 'li':
      set(ra, imm);
      return;
    case 'nop':
      return;
  }
  throw new Error(m);
};

const interesting = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 31, 32, 33, 0x7fffffff, -0x80000000, 0x10000, 0xffff),
  fc.integer({ min: -40, max: 40 }),
);

const arbitraryOp: fc.Arbitrary<Op> = fc.record({
  m: fc.constantFrom<Mnemonic>(...RRR, ...RRI, ...OTHER),
  ra: fc.nat(15),
  rb: fc.nat(15),
  rc: fc.nat(15),
  imm: interesting,
});

describe('property: straight-line ALU programs agree with a reference model', () => {
  const machine = () => uniprocessor({ memoryBytes: 0x4000 });

  it('registers, flags and the instruction count match', () => {
    fc.assert(
      fc.property(fc.array(interesting, { minLength: 15, maxLength: 15 }), fc.array(arbitraryOp, { maxLength: 40 }), (init, ops) => {
        const setup: Op[] = init.map((v, i) => ({ m: 'li', ra: i + 1, rb: 0, rc: 0, imm: v }));
        const program = [...setup, ...ops];
        const words = program.flatMap((o) => encode(makeInstruction(o.m, o)));
        words.push(encode(makeInstruction('hlt'))[0]);
        const m = machine();
        m.load(0, new Uint8Array(new Uint32Array(words).buffer));
        const stop = m.run(1000);

        const model: Model = { regs: new Array(16).fill(0), cf: false, zf: false, sf: false, of: false };
        for (const o of program) step(model, o);

        expect(stop).to.deep.equal({ kind: 'halted', pc: words.length * 4 - 4 });
        expect(Array.from(m.regs)).to.deep.equal(model.regs);
        const f = m.flags;
        expect({ cf: (f & 1) !== 0, zf: (f & 0x40) !== 0, sf: (f & 0x80) !== 0, of: (f & 0x800) !== 0 }).to.deep.equal({
          cf: model.cf,
          zf: model.zf,
          sf: model.sf,
          of: model.of,
        });
        expect(countsOf(m).retiredByRing).to.deep.equal([program.length + 1, 0, 0, 0]);
      }),
      { numRuns: 300 },
    );
  });

  it('MUL sets CF and OF exactly when the signed product does not fit in 32 bits, next to the boundary too', () => {
    // operands whose products land on both sides of -2^31 and 2^31 - 1
    const near = fc.oneof(
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: -3, max: 3 }), fc.boolean()).map(([k, d, neg]) => s32((neg ? -1 : 1) * 2 ** k + d)),
      fc.constantFrom(46340, 46341, -46340, -46341, 65535, 65536, -65536, 0x7fffffff, -0x80000000, -1, 0, 1),
    );
    fc.assert(
      fc.property(near, near, (x, y) => {
        const m = machine();
        const r = mulFlags(m, x, y);
        const exact = BigInt(x) * BigInt(y);
        expect(r).to.equal(Math.imul(x, y));
        const overflow = exact !== BigInt(r);
        expect((m.flags & 1) !== 0, `CF of ${x} * ${y}`).to.equal(overflow);
        expect((m.flags & 0x800) !== 0, `OF of ${x} * ${y}`).to.equal(overflow);
      }),
      { numRuns: 3000 },
    );
  });
});
