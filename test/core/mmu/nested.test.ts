import { expect } from 'chai';

import { uniprocessor } from '../../../core/platform/uniprocessor';
import type { VmExit } from '../../../core/vmx/exits';
import { createVmcs, type Vmcs } from '../../../core/vmx/vmcs';
import { assembleSnippet, identity, mapPages, P, PAGING_ON, poke, TEST_MEMORY, U, W } from '../machine-helpers';
import { countsOf } from '../counts';
import type { VcpuHandler } from '../../../core/cpu/exit';
import { runVcpu } from '../../../core/cpu/vcpu-loop';

/** Host-physical base of the guest's memory: guest-physical g is host-physical GUEST + g. */
const GUEST = 0x10000;
/** Nested (second-level) tables, host-physical. */
const NPD = 0x38000;
const NPT = 0x39000;
/** The guest's own page directory and table, guest-physical. */
const GPD = 0x8000;
const GPT = 0x9000;

/**
 * A machine whose guest has 64 KiB of guest-physical memory (pages 0x0-0xf, host-physical
 * 0x10000-0x1ffff, except pages listed in `unmapped`), with `source` loaded at guest-physical
 * 0, guest page tables mapping linear 0-0x7fff to the same guest-physical addresses, and a
 * VMCS with nested paging; the guest runs with paging on when `guestPaging`.
 */
const nestedGuest = (source: string, o: { guestPaging: boolean; readOnly?: number[]; unmapped?: number[] }) => {
  const m = uniprocessor({ memoryBytes: TEST_MEMORY });
  m.load(GUEST, assembleSnippet(source).bytes);
  poke(m, NPD, NPT | P | W);
  for (let g = 0; g < 0x10000; g += 0x1000) {
    if (o.unmapped?.includes(g)) continue;
    poke(m, NPT + (g >>> 12) * 4, (GUEST + g) | P | (o.readOnly?.includes(g) ? 0 : W));
  }
  // guest tables live in guest memory: write them at their host-physical addresses
  mapPages(m, identity(0, 0x8000, P | W | U), { pd: GUEST + GPD, pt: GUEST + GPT });
  // mapPages wrote PDE = (GUEST + GPT): the guest's PDE must hold the guest-physical address
  poke(m, GUEST + GPD, GPT | P | W | U);
  const vmcs: Vmcs = createVmcs(0);
  vmcs.nestedRoot = NPD;
  if (o.guestPaging) {
    vmcs.guest.cr[0] = 1;
    vmcs.guest.cr[3] = GPD;
  }
  const exits: VmExit[] = [];
  const handler: VcpuHandler = {
    onVmExit: (e) => {
      exits.push(e);
      m.stop({ kind: 'stopped', detail: e.reason });
    },
  };
  /** run under the handler that records exits and stops (null: no VMM) */
  const run = (budget: number, h: VcpuHandler | null = handler) => runVcpu(m, h, budget);
  return { m, vmcs, exits, run };
};

describe('MMU: nested paging', () => {
  it('a guest TLB miss with guest paging costs (2+1)(2+1)-1 = 8 walk references', () => {
    const { m, vmcs, run } = nestedGuest('ld r1, [r0+0x5000]\nhlt', { guestPaging: true });
    poke(m, GUEST + 0x5000, 0x5555);
    m.vmEnter(vmcs);
    expect(m.mmu.nestedRoot).to.equal(NPD);
    expect(run(100)).to.deep.equal({ kind: 'halted', pc: 8 });
    expect(m.regs[1]).to.equal(0x5555);
    // fetch miss (8), immediate hit, data miss (8), fetch hlt hit
    expect(countsOf(m).tlb).to.deep.include({ hits: 2, misses: 2, walkReferences: 16 });
    expect(countsOf(m).retiredNonRoot).to.equal(2);
  });

  it('the guest walk sets accessed bits in the guest tables at their host-physical addresses', () => {
    const { m, vmcs, run } = nestedGuest('ld r1, [r0+0x5000]\nhlt', { guestPaging: true });
    m.vmEnter(vmcs);
    run(100);
    expect(m.memory.read32(GUEST + GPT + 5 * 4) >>> 0).to.equal(0x5000 | P | W | U | 0x20);
    expect(m.memory.read32(GUEST + GPD) >>> 0).to.equal(GPT | P | W | U | 0x20);
  });

  it('with guest paging off a miss costs the 2 references of the nested walk', () => {
    const { m, vmcs, run } = nestedGuest('ld r1, [r0+0x5000]\nhlt', { guestPaging: false });
    poke(m, GUEST + 0x5000, 0x77);
    poke(m, 0x5000, 0x99);
    m.vmEnter(vmcs);
    expect(run(100)).to.deep.equal({ kind: 'halted', pc: 8 });
    expect(m.regs[1]).to.equal(0x77);
    expect(countsOf(m).tlb).to.deep.include({ hits: 2, misses: 2, walkReferences: 4 });
  });

  for (const [what, line, access, gpa, pc] of [
    ['read', 'nop\nld r1, [r0+0x3008]', 'read', 0x3000, 4],
    ['write', 'nop\nst [r0+0x3008], r1', 'write', 0x3000, 4],
    ['fetch', 'li r2, 0x3000\njmpr r2', 'fetch', 0x3000, 0x3000],
  ] as const) {
    it(`an unmapped guest-physical page on a ${what}: VM exit 'ept-violation'`, () => {
      const { m, vmcs, exits, run } = nestedGuest(line, { guestPaging: false, unmapped: [0x3000] });
      m.vmEnter(vmcs);
      run(100);
      expect(exits).to.deep.equal([{ reason: 'ept-violation', pc, guestPhysical: gpa, access }]);
      expect(vmcs.guest.pc).to.equal(pc);
      expect(m.nonRoot).to.equal(false);
      expect(m.mmu.nestedRoot).to.equal(-1);
      expect(countsOf(m).vm).to.deep.equal({ entries: 1, exits: { 'ept-violation': 1 } });
      expect(countsOf(m).exceptions).to.deep.equal({});
    });
  }

  it("a write to a read-only guest-physical page: 'ept-violation' (write); reads are fine", () => {
    const { m, vmcs, exits, run } = nestedGuest('ld r1, [r0+0x3000]\nst [r0+0x3000], r1\nhlt', {
      guestPaging: false,
      readOnly: [0x3000],
    });
    m.vmEnter(vmcs);
    run(100);
    expect(exits).to.deep.equal([{ reason: 'ept-violation', pc: 8, guestPhysical: 0x3000, access: 'write' }]);
  });

  it("a guest page table in unmapped guest-physical memory: 'ept-violation' during the guest walk", () => {
    const { m, vmcs, exits, run } = nestedGuest('nop\nld r1, [r0+0x5000]\nhlt', { guestPaging: true });
    // move the guest's page table for linear 0x5000 onto an unmapped guest-physical page
    poke(m, NPT + 0xa * 4, 0);
    vmcs.guest.cr[3] = 0xa000;
    m.vmEnter(vmcs);
    run(100);
    expect(exits).to.deep.equal([{ reason: 'ept-violation', pc: 0, guestPhysical: 0xa000, access: 'fetch' }]);
  });

  it('without an exit handler an EPT violation stops the run as vm-exit-unhandled', () => {
    const { m, vmcs } = nestedGuest('nop\nld r1, [r0+0x3008]', { guestPaging: false, unmapped: [0x3000] });
    m.vmEnter(vmcs);
    expect(m.run(100)).to.deep.equal({
      kind: 'vm-exit-unhandled',
      exit: { reason: 'ept-violation', pc: 4, guestPhysical: 0x3000, access: 'read' },
    });
  });

  // BUG: VM entry does not flush the TLB (nor tag entries by world), so the guest uses
  // translations the host filled in root mode. Here the host ran with paging on, caching
  // linear page 0 -> host-physical 0 (the host's code); the guest's linear page 0 is
  // guest-physical 0 = host-physical 0x10000, but its first fetch hits the host's entry and
  // it executes the host's first instruction (li r1, 0x30000) instead of its own
  // (li r7, 0x77). Expected: r7 = 0x77, r1 = 0 after one guest instruction; actual: r7 = 0,
  // r1 = 0x30000. (Symmetrically the host can see guest entries after a VM exit; the event
  // kind 'tlb-flush' with cause 'vm-transition' exists but is never emitted.)
  it("the guest does not use the host's TLB entries", () => {
    const { m, vmcs } = nestedGuest('li r7, 0x77\nhlt', { guestPaging: false });
    m.load(0, assembleSnippet(`${PAGING_ON}\nld r2, [r0+0x100]\nhlt`).bytes);
    mapPages(m, identity(0, 0x1000, P | W));
    expect(m.run(100).kind).to.equal('halted');
    m.vmEnter(vmcs);
    expect(m.run(1)).to.deep.equal({ kind: 'budget', budget: 'instructions', instructions: 1, cycles: 1 });
    expect([m.regs[7], m.regs[1]]).to.deep.equal([0x77, 0]);
  });
});
