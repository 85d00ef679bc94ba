/**
 * The paravirtual kernel's copy of the hypercall interface (kernel/hypercalls.s) agrees
 * with the hypervisor's: every hypercall number with the hypercall table, the shared-info
 * words, the hypercall page address and the batch size.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { buildKernel } from '../../../core/guest/kernel-image';
import { SharedInfo } from '../../../strategies/paravirt/guest-abi';
import { HYPERCALLS } from '../../../strategies/paravirt/hypercall-table';
import { HYPERCALL_PAGE_LINEAR } from '../../../strategies/paravirt/hypervisor-memory';

const symbols = (): Record<string, number> => {
  const k = buildKernel('paravirt');
  if (isLeft(k)) throw new Error('the paravirtual kernel does not assemble');
  return k.right.symbols;
};

describe('paravirt: the guest ABI of kernel/hypercalls.s agrees with the hypervisor', () => {
  it('every hypercall of the table has the same number in the kernel, and the kernel names no other', () => {
    const s = symbols();
    const expected = Object.fromEntries(HYPERCALLS.map((r) => [`HC_${r.name.toUpperCase()}`, r.number]));
    const kernel = Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('HC_')));
    expect(kernel).to.deep.equal(expected);
  });

  it('the shared-info words and the hypercall page', () => {
    const s = symbols();
    expect({ mask: s.SI_MASK, pending: s.SI_PENDING, cr2: s.SI_CR2, blockStatus: s.SI_BLOCK_STATUS }).to.deep.equal(SharedInfo);
    expect(s.HYPERCALL_PAGE >>> 0).to.equal(HYPERCALL_PAGE_LINEAR);
  });
});
