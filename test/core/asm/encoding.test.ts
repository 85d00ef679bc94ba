import { expect } from 'chai';
import * as fc from 'fast-check';
import { decode, encode, encodingOf } from '../../../core/isa/codec';
import { arbitraryInstruction } from './helpers';
import { MNEMONICS } from '../../../core/isa/table';

describe('instruction encodings (derived from the table)', () => {
  it('decode(encode(i)) = i for every mnemonic with random fields', () => {
    fc.assert(
      fc.property(arbitraryInstruction, (i) => {
        const [w, ext] = encode(i);
        const d = decode(w, ext);
        expect(d.ok).to.equal(true);
        if (d.ok) {
          expect(d.instruction).to.deep.equal(i);
          expect(d.size).to.equal(4 * encode(i).length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('no two encodings overlap', () => {
    for (const [k, a] of MNEMONICS.entries())
      for (const b of MNEMONICS.slice(k + 1)) {
        const ea = encodingOf(a);
        const eb = encodingOf(b);
        expect((ea.mask & eb.mask & (ea.match ^ eb.match)) >>> 0, `${a} / ${b}`).to.not.equal(0);
      }
  });

  it('every encoding matches its own mask and match', () => {
    fc.assert(
      fc.property(arbitraryInstruction, (i) => {
        const { mask, match } = encodingOf(i.mnemonic);
        expect((encode(i)[0] & mask) >>> 0).to.equal(match);
      }),
    );
  });
});
