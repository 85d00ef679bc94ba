import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { MNEMONIC_BY_OPCODE } from '../../../core/isa/codec';
import { ISA, MNEMONICS } from '../../../core/isa/table';

describe('interpreter dispatch', () => {
  const source = fs.readFileSync(path.join(__dirname, '../../../core/cpu/interpreter.ts'), 'utf8');
  const cases = [...source.matchAll(/case (0x[0-9a-f]+) \/\* (\w+) \*\//g)].map((c) => [Number(c[1]), c[2]] as const);

  it("each case's comment names the table's mnemonic for its opcode", () => {
    for (const [op, name] of cases) expect(MNEMONIC_BY_OPCODE[op], `case 0x${op.toString(16)}`).to.equal(name);
  });

  it('has exactly one case per mnemonic of the table', () => {
    expect(cases.map(([, n]) => n)).to.have.members([...MNEMONICS]).and.have.length(MNEMONICS.length);
    expect(new Set(cases.map(([op]) => op)).size).to.equal(cases.length);
    for (const m of MNEMONICS) expect(cases.some(([op]) => op === ISA[m].opcode), m).to.equal(true);
  });
});
