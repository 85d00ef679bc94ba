import { expect } from 'chai';
import { interpretCaught, interpreterSource, NOTHING_THROWN } from '../../../core/cpu/interpreter';
import { GuestFault } from '../../../core/isa/fault';
import { boot } from '../machine-helpers';
import { INSTRUCTION_CODE } from '../../../core/cpu/instruction-code';
import { SYSTEM_SEMANTICS } from '../../../core/cpu/semantics';
import { MNEMONIC_BY_OPCODE } from '../../../core/isa/codec';
import { ISA, MNEMONICS, Vector } from '../../../core/isa/table';
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

describe('interpreter: faults handed back to the run loop', () => {
  it('a burst that faults hands the fault back with pc at the faulting instruction and the instructions before it retired', () => {
    const m = boot('li r1, 5\nli r2, 0\ndiv r3, r1, r2\nhlt');
    const thrown = interpretCaught(m);
    expect(thrown).to.be.instanceOf(GuestFault);
    expect((thrown as GuestFault).vector).to.equal(Vector.divideError);
    expect(m.pc).to.equal(16);
    expect(m.instructions).to.equal(2);
    expect(m.regs[3]).to.equal(0);
  });

  it('a burst that raises nothing says so', () => {
    const m = boot('li r1, 5\nhlt');
    expect(interpretCaught(m)).to.equal(NOTHING_THROWN);
    expect(m.instructions).to.equal(2);
  });
});
