import { expect } from 'chai';
import { interpreterSource } from '../../../core/cpu/interpreter';
import { INSTRUCTION_CODE } from '../../../core/cpu/instruction-code';
import { SYSTEM_SEMANTICS } from '../../../core/cpu/semantics';
import { MNEMONIC_BY_OPCODE } from '../../../core/isa/codec';
import { ISA, MNEMONICS } from '../../../core/isa/table';
import { IsaVariant } from '../../../core/isa/variant';

describe('interpreter dispatch (generated from the ISA table and the code rows)', () => {
  for (const variant of Object.values(IsaVariant)) {
    const source = interpreterSource(variant);
    const cases = [...source.matchAll(/case (\d+) \/\* (\w+) \*\//g)].map((c) => [Number(c[1]), c[2]] as const);
    const caseText = (mn: string): string => {
      const at = source.indexOf(`/* ${mn} */`);
      return source.slice(at, source.indexOf('\ncase ', at));
    };

    it(`${variant}: has exactly one case per mnemonic, at the table's opcode`, () => {
      for (const [op, name] of cases) expect(MNEMONIC_BY_OPCODE[op], `case ${op}`).to.equal(name);
      expect(cases.map(([, n]) => n)).to.have.members([...MNEMONICS]).and.have.length(MNEMONICS.length);
    });

    it(`${variant}: privilege checks only in the cases of privileged rows`, () => {
      for (const mn of MNEMONICS) {
        const checked = caseText(mn).includes('FAULTS.privileged');
        const privileged = ISA[mn].privilege !== 'none' || (variant === 'virtualizable' && ISA[mn].flaw);
        expect(checked, mn).to.equal(privileged);
      }
    });
  }

  it('every row of the table is either an innocuous code row or a system instruction, not both', () => {
    for (const mn of MNEMONICS) {
      const coded = INSTRUCTION_CODE[mn] !== undefined;
      const system = Object.hasOwn(SYSTEM_SEMANTICS, mn);
      expect(coded !== system, mn).to.equal(true);
    }
  });
});
