import { expect } from 'chai';
import * as fc from 'fast-check';
import { disassemble, disassembleToSource } from '../../../core/asm';
import { encode } from '../../../core/isa/codec';
import { arbitraryInstruction, ok } from './helpers';

const bytesOf = (words: number[]): Uint8Array => {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(4 * i, w >>> 0, true));
  return bytes;
};

/** Assemble the disassembly of `bytes` at `origin` and compare. */
const roundTrips = (bytes: Uint8Array, origin: number): void => {
  const source = disassembleToSource(bytes, origin);
  const p = ok(source, { origin });
  expect(p.origin).to.equal(origin);
  expect([...p.bytes], source).to.deep.equal([...bytes]);
};

const arbitraryOrigin = fc.oneof(fc.constant(0), fc.nat(0x1fffffff).map((n) => n * 4));

describe('disassembler', () => {
  it('prints operands from the format syntax, targets as absolute addresses', () => {
    const p = ok(`
        li r1, -4
        ld r2, [sp+8]
        st [fp-0x10], r3
        ldb r4, [0x200]
        stb [r5], r6
loop:   jnz loop
        lea r7, data
        int 0x80
        rdcr r1, cr3
        out 0x3f8, r2
        ret
data:   .word 0xdeadbeef
`, { origin: 0x1000 });
    expect(disassemble(p.bytes, 0x1000).map((l) => [l.address, l.text])).to.deep.equal([
      [0x1000, 'li r1, -0x4'],
      [0x1008, 'ld r2, [sp+0x8]'],
      [0x1010, 'st [fp-0x10], r3'],
      [0x1018, 'ldb r4, [0x200]'],
      [0x1020, 'stb [r5], r6'],
      [0x1028, 'jnz 0x1028'],
      [0x1030, 'lea r7, 0x1048'],
      [0x1038, 'int 0x80'],
      [0x103c, 'rdcr r1, cr3'],
      [0x1040, 'out 0x3f8, r2'],
      [0x1044, 'ret'],
      [0x1048, '.word 0xdeadbeef'],
    ]);
  });

  it('returns the words of each line', () => {
    expect(disassemble(bytesOf([0x03100000, 7, 0x01000000]))).to.deep.equal([
      { address: 0, words: [0x03100000, 7], text: 'li r1, 0x7' },
      { address: 8, words: [0x01000000], text: 'nop' },
    ]);
  });

  it('prints undecodable words, reserved bits, a missing immediate word and a bad control register as .word', () => {
    const texts = disassemble(bytesOf([0, 0x01000001, 0x53100001, 0x03100000])).map((l) => l.text);
    expect(texts).to.deep.equal(['.word 0x00000000', '.word 0x01000001', '.word 0x53100001', '.word 0x03100000']);
  });

  it('prints trailing bytes as .byte', () => {
    expect(disassemble(new Uint8Array([1, 0, 0, 1, 0xab, 2]))).to.deep.equal([
      { address: 0, words: [0x01000001], text: '.word 0x01000001' },
      { address: 4, words: [0xab, 2], text: '.byte 0xab, 0x2' },
    ]);
  });

  it('disassembleToSource starts with .org when the origin is not 0', () => {
    expect(disassembleToSource(bytesOf([0x01000000]), 0x100)).to.equal('.org 0x100\n    nop\n');
    expect(disassembleToSource(bytesOf([0x01000000]))).to.equal('    nop\n');
  });

  it('round-trips random instruction lists', () => {
    fc.assert(
      fc.property(fc.array(arbitraryInstruction, { maxLength: 40 }), arbitraryOrigin, (instructions, origin) =>
        roundTrips(bytesOf(instructions.flatMap(encode)), origin),
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips random 32-bit words', () => {
    const word = fc.oneof(fc.nat({ max: 0xffffffff }), arbitraryInstruction.map((i) => encode(i)[0]));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 40 }), arbitraryOrigin, (words, origin) => roundTrips(bytesOf(words), origin)),
      { numRuns: 300 },
    );
  });

  it('round-trips random bytes of any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), arbitraryOrigin, (bytes, origin) => roundTrips(bytes, origin)),
      { numRuns: 300 },
    );
  });
});
