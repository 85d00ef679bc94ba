import { expect } from 'chai';
import * as fc from 'fast-check';
import {
  decode,
  encode,
  encodingOf,
  fieldMask,
  makeInstruction,
  MNEMONIC_BY_OPCODE,
  sizeOf,
} from '../../../core/isa/codec';
import { Formats, ISA, MNEMONICS, type Mnemonic } from '../../../core/isa/table';

/** Instructions with an immediate word, written out independently of the table. */
const EIGHT_BYTES: readonly Mnemonic[] = [
  'li', 'addi', 'subi', 'andi', 'ori', 'xori', 'shli', 'shri', 'sari', 'muli', 'cmpi', 'lea',
  'ld', 'st', 'ldb', 'stb', 'xchg', 'cmpxchg', 'jmp', 'jz', 'jnz', 'jl', 'jge', 'jle', 'jg', 'jb', 'jae', 'call',
];

const arbitraryInstruction = fc
  .record({
    mnemonic: fc.constantFrom(...MNEMONICS),
    ra: fc.nat(15),
    rb: fc.nat(15),
    rc: fc.nat(15),
    imm12: fc.nat(0xfff),
    imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  })
  .map(({ mnemonic, ...f }) => makeInstruction(mnemonic, f));

describe('ISA codec', () => {
  it('opcodes are unique and 0x00 is unassigned', () => {
    const ops = MNEMONICS.map((m) => ISA[m].opcode);
    expect(new Set(ops).size).to.equal(ops.length);
    expect(MNEMONIC_BY_OPCODE[0]).to.equal(undefined);
    expect(decode(0)).to.deep.equal({ ok: false, reason: 'unassigned-opcode' });
  });

  it('sizeOf: 8 bytes exactly for the formats with an immediate word, else 4', () => {
    for (const m of MNEMONICS) expect(sizeOf(m), m).to.equal(EIGHT_BYTES.includes(m) ? 8 : 4);
    expect(MNEMONICS.filter((m) => Formats[ISA[m].format].ext)).to.have.members([...EIGHT_BYTES]);
  });

  it('decode of every unassigned opcode fails with unassigned-opcode, whatever the other bits', () => {
    const assigned = new Set<number>(MNEMONICS.map((m) => ISA[m].opcode));
    let n = 0;
    for (let op = 0; op < 256; op++) {
      if (assigned.has(op)) continue;
      n++;
      for (const low of [0, 0x123456, 0xffffff])
        expect(decode(((op << 24) | low) >>> 0), `opcode 0x${op.toString(16)}`).to.deep.equal({
          ok: false,
          reason: 'unassigned-opcode',
        });
    }
    expect(n).to.equal(256 - MNEMONICS.length);
  });

  it('decode of a word with any single reserved bit set fails with reserved-bits-set', () => {
    for (const m of MNEMONICS) {
      const used = fieldMask(ISA[m].format);
      for (let bit = 0; bit < 24; bit++) {
        if ((used >>> bit) & 1) continue;
        const w = ((ISA[m].opcode << 24) | (1 << bit)) >>> 0;
        expect(decode(w), `${m} bit ${bit}`).to.deep.equal({ ok: false, reason: 'reserved-bits-set' });
      }
    }
  });

  it('field masks of some formats, written out', () => {
    expect(fieldMask('none')).to.equal(0);
    expect(fieldMask('rrr')).to.equal(0x00fff000);
    expect(fieldMask('rr')).to.equal(0x00ff0000);
    expect(fieldMask('r')).to.equal(0x00f00000);
    expect(fieldMask('s')).to.equal(0x00000fff);
    expect(fieldMask('rport')).to.equal(0x00f00fff);
    expect(fieldMask('rel')).to.equal(0);
    expect(encodingOf('add')).to.deep.equal({ mask: 0xff000fff, match: 0x04000000 });
  });

  it('decodes concrete words', () => {
    expect(decode(0x04123000)).to.deep.equal({
      ok: true,
      size: 4,
      instruction: { mnemonic: 'add', ra: 1, rb: 2, rc: 3, imm12: 0, imm: 0 },
    });
    expect(decode(0x03500000, 0xfffffffe)).to.deep.equal({
      ok: true,
      size: 8,
      instruction: { mnemonic: 'li', ra: 5, rb: 0, rc: 0, imm12: 0, imm: -2 },
    });
    expect(decode(0x38000080)).to.deep.equal({
      ok: true,
      size: 4,
      instruction: { mnemonic: 'int', ra: 0, rb: 0, rc: 0, imm12: 0x80, imm: 0 },
    });
    // a 4-byte instruction ignores the following word
    expect(decode(0x01000000, 1234)).to.deep.include({ ok: true, size: 4 });
    expect(decode(0x04123001)).to.deep.equal({ ok: false, reason: 'reserved-bits-set' });
  });

  it('decode(encode(i)) = i for arbitrary instructions', () => {
    fc.assert(
      fc.property(arbitraryInstruction, (i) => {
        const [w, ext] = encode(i);
        const d = decode(w, ext ?? 0);
        expect(d).to.deep.equal({ ok: true, instruction: i, size: sizeOf(i.mnemonic) });
        expect(encode(i)).to.have.length(sizeOf(i.mnemonic) / 4);
      }),
      { numRuns: 500 },
    );
  });
});
