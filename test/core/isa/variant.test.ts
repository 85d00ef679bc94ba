import { expect } from 'chai';
import { ISA, MNEMONICS, type Mnemonic, type Privilege } from '../../../core/isa/table';
import { isPrivileged, privilegeOf, type IsaVariant } from '../../../core/isa/variant';

/** Expected privilege of every mnemonic, written out independently of the table. */
const KERNEL: readonly Mnemonic[] = ['cli', 'sti', 'hlt', 'rdcr', 'wrcr', 'lidt', 'invlpg', 'sysexit'];
const IOPL: readonly Mnemonic[] = ['in', 'out'];
const FLAWS: readonly Mnemonic[] = ['pushf', 'popf', 'sidt', 'smsw', 'rdcpl', 'iret'];

const expected = (m: Mnemonic, v: IsaVariant): Privilege =>
  KERNEL.includes(m) ? 'kernel' : IOPL.includes(m) ? 'iopl' : FLAWS.includes(m) && v === 'virtualizable' ? 'kernel' : 'none';

describe('ISA variants and classification', () => {
  it('the flaw rows are exactly pushf, popf, sidt, smsw, rdcpl and iret', () => {
    expect(MNEMONICS.filter((m) => ISA[m].flaw)).to.have.members([...FLAWS]).and.have.length(FLAWS.length);
  });

  for (const v of ['default', 'virtualizable'] as const) {
    describe(`variant '${v}'`, () => {
      for (const m of MNEMONICS) {
        it(`${m} is ${expected(m, v)}`, () => {
          expect(privilegeOf(m, v)).to.equal(expected(m, v));
          expect(isPrivileged(m, v)).to.equal(expected(m, v) !== 'none');
        });
      }
    });
  }

  it('flaw rows are unprivileged on default and kernel-only on virtualizable', () => {
    for (const m of FLAWS) {
      expect(privilegeOf(m, 'default'), m).to.equal('none');
      expect(isPrivileged(m, 'default'), m).to.equal(false);
      expect(privilegeOf(m, 'virtualizable'), m).to.equal('kernel');
      expect(isPrivileged(m, 'virtualizable'), m).to.equal(true);
    }
  });

  it('default: the sensitive but unprivileged instructions are exactly the flaw rows (not virtualizable)', () => {
    const holes = MNEMONICS.filter((m) => ISA[m].sensitivity !== 'none' && !isPrivileged(m, 'default'));
    expect(holes).to.have.members([...FLAWS]).and.have.length(FLAWS.length);
  });

  it('virtualizable: every sensitive instruction is privileged (Popek-Goldberg Theorem 1)', () => {
    const holes = MNEMONICS.filter((m) => ISA[m].sensitivity !== 'none' && !isPrivileged(m, 'virtualizable'));
    expect(holes).to.deep.equal([]);
  });

  it('every privileged instruction is sensitive, and innocuous ones are unprivileged on both variants', () => {
    for (const m of MNEMONICS) {
      if (isPrivileged(m, 'default')) expect(ISA[m].sensitivity, m).to.not.equal('none');
      if (ISA[m].sensitivity === 'none') {
        expect(isPrivileged(m, 'default'), m).to.equal(false);
        expect(isPrivileged(m, 'virtualizable'), m).to.equal(false);
      }
    }
  });
});
