import { expect } from 'chai';
import { PRIV_IOPL, PRIV_KERNEL, PRIV_NONE, privilegeColumn } from '../../../core/cpu/privilege';
import { MNEMONIC_BY_OPCODE } from '../../../core/isa/codec';
import { ISA, MNEMONICS } from '../../../core/isa/table';
import { ISA_VARIANTS, privilegeOf } from '../../../core/isa/variant';
import { uniprocessor } from '../../../core/platform/uniprocessor';

describe('privilege column (core/cpu/privilege.ts)', () => {
  const code = { none: PRIV_NONE, kernel: PRIV_KERNEL, iopl: PRIV_IOPL } as const;

  it("holds each opcode's privilege under each variant, and nothing for unassigned opcodes", () => {
    for (const v of ISA_VARIANTS) {
      const column = privilegeColumn(v);
      for (const mn of MNEMONICS) expect(column[ISA[mn].opcode], `${mn} on ${v}`).to.equal(code[privilegeOf(mn, v)]);
      for (let op = 0; op < 256; op++) if (MNEMONIC_BY_OPCODE[op] === undefined) expect(column[op], `opcode ${op}`).to.equal(PRIV_NONE);
    }
  });

  it('the variants differ exactly in the flaw rows, privileged on the virtualizable ISA', () => {
    const [a, b] = [privilegeColumn('default'), privilegeColumn('virtualizable')];
    const differ = MNEMONICS.filter((mn) => a[ISA[mn].opcode] !== b[ISA[mn].opcode]);
    expect(differ).to.have.members(MNEMONICS.filter((mn) => ISA[mn].flaw && ISA[mn].privilege === 'none'));
    expect(differ.length).to.be.greaterThan(0);
  });

  it("is made once per variant: a CPU reads its variant's column", () => {
    expect(privilegeColumn('default')).to.equal(privilegeColumn('default'));
    expect(uniprocessor({ variant: 'virtualizable' }).privilegeByOpcode).to.equal(privilegeColumn('virtualizable'));
    expect(uniprocessor({}).privilegeByOpcode).to.equal(privilegeColumn('default'));
  });
});
