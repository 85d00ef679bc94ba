import { expect } from 'chai';
import { disassemble } from '../../../core/asm';
import { hypercallPageImage, HypercallPageEntry } from '../../../strategies/paravirt/hypercall-page';
import { HYPERCALL_PAGE_LINEAR, HYPERVISOR_BASE, inHypercallPage } from '../../../strategies/paravirt/hypervisor-memory';

describe('paravirt: the hypercall page', () => {
  it('is hypervisor code with the real IRET the kernel build may not contain, and the iret hypercall as its slow path', () => {
    const lines = disassemble(hypercallPageImage(), HYPERCALL_PAGE_LINEAR);
    const mnemonics = lines.map((l) => l.text.split(' ')[0]);
    expect(mnemonics.filter((x) => x === 'iret')).to.have.length(1);
    expect(mnemonics.filter((x) => x === 'vmcall')).to.have.length(1);
    expect(lines[0].address).to.equal(HypercallPageEntry.trapReturn);
    expect(hypercallPageImage().length).to.be.at.most(4096);
  });

  it('sits in the second page of the hypervisor range, the only place there a guest may return to', () => {
    expect(HYPERCALL_PAGE_LINEAR).to.equal(HYPERVISOR_BASE + 4096);
    expect(inHypercallPage(HYPERCALL_PAGE_LINEAR | 0)).to.equal(true);
    expect(inHypercallPage(HYPERCALL_PAGE_LINEAR + 4095)).to.equal(true);
    expect(inHypercallPage(HYPERVISOR_BASE)).to.equal(false);
    expect(inHypercallPage(HYPERCALL_PAGE_LINEAR + 4096)).to.equal(false);
  });
});
