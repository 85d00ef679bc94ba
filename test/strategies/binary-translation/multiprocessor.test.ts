/**
 * Binary translation with several vCPUs: each vCPU's translated code reaches its own virtual
 * CPU (its own data page at its own address), a write to code another vCPU has translated
 * reaches that vCPU's translation cache, and the vCPU areas fit the VMM's reserved range.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import type { Program } from '../../../core/asm';
import type { Cpu } from '../../../core/cpu/cpu';
import type { StopReason } from '../../../core/cpu/stop';
import { loadProfile } from '../../../core/cost/profile';
import { GUEST_MEMORY_BYTES } from '../../../core/guest/layout';
import { binaryTranslation } from '../../../strategies/binary-translation/binary-translation';
import {
  DATA_VA,
  DOORBELL_VA,
  MAX_CACHE_BYTES,
  RESERVED_BYTES,
  TC_VA,
  VCPU_AREAS_BYTES,
  vcpusThatFit,
  vmmLinear,
  vmmPhysical,
  VMM_VA,
} from '../../../strategies/binary-translation/layout';
import { translateUnit } from '../../../strategies/binary-translation/translator';
import { native } from '../../../strategies/native/native';
import { resolveOptions } from '../../../strategies/options';
import type { Strategy } from '../../../strategies/strategy';
import { startVirtualMachine } from '../../../strategies/virtual-machine';
import { vmmCountsOf } from '../vmm-counts';
import { assembleSnippet, codeOf } from './helpers';

/**
 * Two CPUs from the reset vector (paging off, ring 0). CPU 0 starts CPU 1, both put a value in
 * their own cr4, and CPU 1 calls `fn` until it returns 2: CPU 0 patches `fn`'s immediate
 * from 1 to 2 once CPU 1 runs the loop (cross-modifying code). Each reads its cr4 back after
 * the other wrote its own; CPU 0 powers off with both values (0x222111 when each saw its own).
 */
const SMP = `
        rdpid r1
        cmpi r1, 0
        jnz ap
        li sp, 0x8000
        li r1, 0x10500                  ; INIT to CPU 1
        out 0x24, r1
        li r1, 0x10600                  ; start-up IPI to CPU 1, page 0
        out 0x24, r1
        li r2, 0x111
        wrcr cr4, r2
wait1:  ld r3, [r0+0x3000]
        cmpi r3, 0
        jz wait1
        rdcr r4, cr4
        st [r0+0x3008], r4
        li r5, 2
        st [r0+fn+4], r5                ; the immediate of fn's li: CPU 1 has it translated
wait2:  ld r3, [r0+0x3004]
        cmpi r3, 0
        jz wait2
        ld r1, [r0+0x3008]
        ld r2, [r0+0x300c]
        shli r2, r2, 12
        or r1, r1, r2
        out POWER, r1
ap:     li sp, 0x9000
        li r2, 0x222
        wrcr cr4, r2
        li r3, 1
loop:   st [r0+0x3000], r3
        call fn
        cmpi r1, 2
        jnz loop
        rdcr r4, cr4
        st [r0+0x300c], r4
        st [r0+0x3004], r3
spin:   pause
        jmp spin
fn:     li r1, 1
        ret
`;

/** Run a bare-metal snippet on `vcpus` CPUs under a strategy. */
const runOn = (strategy: Strategy, p: Program, vcpus: number, options: Record<string, string | number> = {}): { stop: StopReason; cpus: readonly Cpu[] } => {
  const profile = loadProfile('netburst-2006');
  const opts = resolveOptions(strategy, options);
  if (isLeft(profile) || isLeft(opts)) throw new Error('bad profile or options');
  const vm = startVirtualMachine({
    strategy,
    options: opts.right,
    profile: profile.right,
    guestMemoryBytes: GUEST_MEMORY_BYTES,
    load: (platform) => platform.memory.load(p.origin, p.bytes),
    vcpus,
  });
  if (isLeft(vm)) throw new Error(vm.left);
  return { stop: vm.right.run({ maxInstructions: 2_000_000 }), cpus: vm.right.cpus };
};

const countOf = (m: Cpu, key: string, by: string): number => {
  const c = m.snapshot().counts[key];
  return typeof c === 'object' ? (c[by] ?? 0) : 0;
};

describe('binary translation with several vCPUs', function () {
  this.timeout(60_000);

  it('lays vCPU 0 out where a uniprocessor guest had everything, and 8 vCPU areas with the default cache side by side in the reserved slot', () => {
    expect(vmmLinear(0, 256 * 1024)).to.deep.equal({ data: DATA_VA, doorbell: DOORBELL_VA, cache: TC_VA });
    expect(vmmPhysical(0x100000, 0, 256 * 1024)).to.deep.equal(vmmPhysical(0x100000));
    expect(vmmPhysical(0x100000).cache).to.equal(0x100000 + 0x3000);
    const areas = [...Array(8).keys()].map((k) => vmmLinear(k, 256 * 1024));
    for (let k = 1; k < 8; k++) expect(areas[k].data >>> 0).to.equal((areas[k - 1].cache >>> 0) + 256 * 1024);
    expect((areas[7].cache >>> 0) + 256 * 1024 - (VMM_VA >>> 0)).to.be.at.most(VCPU_AREAS_BYTES);
    expect(vmmPhysical(0, 7, 256 * 1024).cache + 256 * 1024).to.be.at.most(RESERVED_BYTES - 4 * 1024 * 1024);
    expect(vcpusThatFit(256 * 1024)).to.equal(8);
    expect(vcpusThatFit(MAX_CACHE_BYTES)).to.equal(1);
    expect(vcpusThatFit(1024 * 1024)).to.equal(3);
  });

  it("translates a vCPU's virtual-CPU accesses to its own data page and doorbell", () => {
    const p = assembleSnippet('cli\nrdcr r2, cr4\nwrcr cr8, r3\nhlt', {}, 0x1000);
    const mine = vmmLinear(3, 256 * 1024);
    const t = translateUnit(codeOf(p), 0x1000, { maxInstructions: 4, dataVa: mine.data });
    const base = translateUnit(codeOf(p), 0x1000, { maxInstructions: 4 });
    if (!t.ok || !base.ok) throw new Error('translation failed');
    // the same code, every data-page address moved by the area's offset
    const offset = (mine.data - DATA_VA) | 0;
    const moved = base.unit.words.map((w, k) => (t.unit.words[k] === w ? w : (w + offset) >>> 0));
    expect(t.unit.words).to.deep.equal(moved);
    expect(t.unit.words.filter((w, k) => w !== base.unit.words[k])).to.have.length(4); // cli, rdcr, wrcr cr8's store and doorbell load
    expect(t.unit.words).to.include(mine.doorbell >>> 0);
  });

  it('keeps each vCPU its own virtual control registers, and a write to code another vCPU translated reaches its cache', () => {
    const p = assembleSnippet(SMP, {}, 0);
    const bare = runOn(native, p, 2);
    const bt = runOn(binaryTranslation, p, 2);
    expect(bare.stop.kind === 'shutdown' && bare.stop.exitCode).to.equal(0x222111);
    expect(bt.stop).to.deep.equal(bare.stop);
    if (bt.stop.kind !== 'shutdown') throw new Error('not shut down');
    expect(bt.stop.exitCode).to.equal(0x222111);
    const [c0, c1] = bt.cpus.map(vmmCountsOf);
    // CPU 0's VMM dropped CPU 1's translation of fn (and its own units of the frame): priced on CPU 0
    expect(c0.translation.invalidations).to.be.at.least(2);
    expect(c1.translation.invalidations).to.equal(0);
    // the frame was translated again and protected again: write access went from the root the other CPU runs on, its TLB flushed by the VMM's IPI
    expect(c1.translation.units).to.be.at.least(2);
    expect(countOf(bt.cpus[0], 'ipis.sent', '7') + countOf(bt.cpus[1], 'ipis.sent', '7')).to.be.at.least(1);
    expect(countOf(bt.cpus[0], 'ipis.received', '7') + countOf(bt.cpus[1], 'ipis.received', '7')).to.equal(0);
  });
});
