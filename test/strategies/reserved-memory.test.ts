/**
 * The reserved-memory invariant (strategies/reserved-memory.ts): every strategy declares
 * its ranges and no run of the shipped workloads touches or maps reserved memory beyond what
 * they allow; a guest's DMA stops at guest RAM as on the native machine (it overwrote the
 * nested page tables of hardware-assisted and the shadow pool of the others); and the guard
 * reports a translation into a range that allows less, a frozen range that changed, and
 * ranges declared outside reserved memory.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile } from '../../core/cost/profile';
import { GUEST_MEMORY_BYTES } from '../../core/guest/layout';
import { PhysicalMemory } from '../../core/mmu/memory';
import { runOne } from '../../experiments/run/run-one';
import { resolveOptions } from '../../strategies/options';
import { STRATEGIES } from '../../strategies/registry';
import { ReservedMemoryGuard, type ReservedRange } from '../../strategies/reserved-memory';
import type { Strategy } from '../../strategies/strategy';
import { startVirtualMachine } from '../../strategies/virtual-machine';
import { assembleSnippet } from '../core/machine-helpers';
import { configurations } from './configurations';

const ALL = Object.values(STRATEGIES) as Strategy[];
const MiB = 1024 * 1024;

/** A bare kernel: writes a pattern to sector 0, reads it back by DMA at `target`, and shuts down with the block status (2 = error). */
const dmaKernel = (target: number) =>
  assembleSnippet(`
        li sp, 0x10000
        li r1, 0x3000
        li r2, 0x5a5a5a5a
        st [r1], r2
        li r3, 0
        out 0x1f0, r3
        out 0x1f1, r1
        li r3, 2
        out 0x1f2, r3
w1:     in r4, 0x1f2
        andi r4, r4, 1
        cmpi r4, 0
        jnz w1
        li r1, ${target}
        out 0x1f1, r1
        li r3, 1
        out 0x1f2, r3
w2:     in r4, 0x1f2
        andi r4, r4, 3
        cmpi r4, 1
        jz w2
        out 0xf4, r4
        hlt
`);

describe('reserved memory', function () {
  this.timeout(120_000);

  it('every configuration of every strategy runs syscall and forkwait without touching or mapping reserved memory beyond its declared ranges', () => {
    for (const s of ALL)
      for (const c of configurations(s))
        for (const workload of ['syscall', 'forkwait'] as const) {
          const r = runOne({ strategy: s.name, options: c.options, workload, params: { n: 2 }, profile: c.profile });
          if (isLeft(r)) throw new Error(r.left.join('; '));
          expect(r.right.isolationViolations, `${s.name} ${JSON.stringify(c.options)} ${workload}`).to.equal(undefined);
          expect(r.right.equivalent).to.equal(!s.requiresVirtualizableIsa);
        }
  });

  it('every VMM with reserved memory declares ranges inside it, apart from each other', () => {
    const profile = loadProfile('nehalem-2009');
    if (isLeft(profile)) throw new Error(profile.left);
    for (const s of ALL.filter((x) => x.reservedBytes > 0)) {
      const options = resolveOptions(s, {});
      if (isLeft(options)) throw new Error(options.left.join());
      const kernel = dmaKernel(0x4000);
      const vm = startVirtualMachine({ strategy: s, options: options.right, profile: profile.right, guestMemoryBytes: GUEST_MEMORY_BYTES, load: (p) => p.memory.load(0, kernel.bytes) });
      // paravirt refuses a native kernel before it starts
      if (isLeft(vm)) continue;
      const ranges = vm.right.vmm.reservedMemory?.() ?? [];
      expect(ranges.length, s.name).to.be.greaterThan(0);
      expect(vm.right.reservedMemoryViolations(), s.name).to.deep.equal([]);
    }
  });

  it('a guest DMA beyond guest RAM fails as on the native machine under every strategy that runs a native kernel, and changes no reserved memory', () => {
    for (const s of ALL.filter((x) => x.kernelBuild === 'native'))
      for (const target of [GUEST_MEMORY_BYTES, GUEST_MEMORY_BYTES + 5 * 4096, GUEST_MEMORY_BYTES + 4 * MiB + 2 * 4096]) {
        const r = runOne({ strategy: s.name, workload: 'syscall', params: { n: 1 }, kernelImage: dmaKernel(target), profile: 'nehalem-2009', isa: 'virtualizable', options: s.name === 'hardware-assisted' ? { paging: 'nested' } : {} });
        if (isLeft(r)) throw new Error(r.left.join('; '));
        expect(r.right.exitCode, `${s.name} at ${target}`).to.equal(2);
        expect(r.right.equivalent).to.equal(true);
        expect(r.right.isolationViolations).to.equal(undefined);
      }
  });

  it('a DMA let past guest RAM is caught: it overwrites the nested page tables of hardware-assisted', () => {
    const profile = loadProfile('nehalem-2009');
    const options = resolveOptions(STRATEGIES['hardware-assisted'], { paging: 'nested' });
    if (isLeft(profile) || isLeft(options)) throw new Error('setup');
    const kernel = dmaKernel(GUEST_MEMORY_BYTES);
    const vm = startVirtualMachine({ strategy: STRATEGIES['hardware-assisted'] as Strategy, options: options.right, profile: profile.right, guestMemoryBytes: GUEST_MEMORY_BYTES, load: (p) => p.memory.load(0, kernel.bytes) });
    if (isLeft(vm)) throw new Error(vm.left);
    vm.right.platform.dmaBytes = vm.right.platform.memory.size; // the confinement removed
    vm.right.run({ maxInstructions: 100_000, maxCycles: 1e9 });
    expect(vm.right.reservedMemoryViolations()).to.deep.equal([`reserved memory: 'nested page tables' changed at 0x800000 (from 0x7 to 0x5a)`]);
  });

  it('a translation that grants more than the range allows is caught on a real run (binary translation with its data page declared read-only)', () => {
    const bt = STRATEGIES['binary-translation'] as Strategy;
    const strict: Strategy = {
      ...bt,
      start: (ctx) => {
        const vmm = bt.start(ctx);
        return { ...vmm, reservedMemory: () => vmm.reservedMemory!().map((r) => (r.name === 'VMM data page' ? { ...r, guest: 'read' as const } : r)) };
      },
    };
    const r = runOne({ strategy: 'binary-translation', strategyImpl: strict, workload: 'syscall', params: { n: 1 }, profile: 'nehalem-2009' });
    if (isLeft(r)) throw new Error(r.left.join('; '));
    expect(r.right.isolationViolations).to.include(
      "reserved memory: linear 0xff000000 is mapped (supervisor read/write) to 0xc01000 in the VMM's 'VMM data page', which allows the guest supervisor read access",
    );
  });

  it('the guard: undeclared memory, user access, writes to a read range, frozen ranges, ranges outside reserved memory', () => {
    const mem = new PhysicalMemory(0x10000);
    const range = (name: string, start: number, guest: ReservedRange['guest'], changes: boolean): ReservedRange => ({ name, start, bytes: 0x1000, guest, changes });
    const g = new ReservedMemoryGuard(mem, 0x8000, [range('table', 0x8000, 'none', true), range('code', 0x9000, 'read', false), range('data', 0xa000, 'write', true)]);
    g.reached(0xa000, 0x100, true, false); // allowed
    g.reached(0x9000, 0x200, false, false); // allowed
    mem.write32(0x8000, 7); // the VMM's own table: may change
    mem.write32(0xa010, 7); // the data page: may change
    expect(g.violations()).to.deep.equal([]);
    g.reached(0x8000, 0x300, false, false);
    g.reached(0x9000, 0x400, true, false);
    g.reached(0xa000, 0x500, true, true);
    g.reached(0xc000, 0x600, false, false);
    mem.u8[0x9005] = 1;
    mem.u8[0xf000] = 2;
    expect(g.violations()).to.deep.equal([
      "reserved memory: linear 0x300 is mapped (supervisor read) to 0x8000 in the VMM's 'table', which allows the guest no access",
      "reserved memory: linear 0x400 is mapped (supervisor read/write) to 0x9000 in the VMM's 'code', which allows the guest supervisor read access",
      "reserved memory: linear 0x500 is mapped (user read/write) to 0xa000 in the VMM's 'data', which allows the guest supervisor write access",
      'reserved memory: linear 0x600 is mapped (supervisor read) to 0xc000, reserved memory the VMM declares no use of',
      "reserved memory: 'code' changed at 0x9005 (from 0x0 to 0x1)",
      'reserved memory: memory the VMM declares no use of changed at 0xf000 (from 0x0 to 0x2)',
    ]);
    expect(new ReservedMemoryGuard(mem, 0x8000, [range('low', 0x7000, 'none', true)]).violations()).to.deep.equal([
      "reserved memory: the VMM declares 'low' at 0x7000 (+4096), not inside its reserved memory [0x8000, 0x10000) apart from the other ranges",
    ]);
  });

  it('the guard: a frozen range that held data when the VMM started is compared with its copy, a zeroed one with zeros', () => {
    const mem = new PhysicalMemory(0x10000);
    mem.write32(0x9100, 0x11223344);
    const g = new ReservedMemoryGuard(mem, 0x8000, [{ name: 'code', start: 0x9000, bytes: 0x1000, guest: 'read', changes: false }]);
    expect(g.violations()).to.deep.equal([]);
    mem.u8[0x9101] = 0x55;
    mem.u8[0xb000] = 1;
    expect(g.violations()).to.deep.equal([
      "reserved memory: 'code' changed at 0x9101 (from 0x33 to 0x55)",
      'reserved memory: memory the VMM declares no use of changed at 0xb000 (from 0x0 to 0x1)',
    ]);
  });
});
