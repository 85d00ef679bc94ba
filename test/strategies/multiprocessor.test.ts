/**
 * Multiprocessor virtual machines: every strategy that runs guests on several vCPUs is
 * equivalent to native on every workload with 2 and 4 vCPUs (1 is the equivalence suite's),
 * runs are reproducible, the per-vCPU figures add up to the totals, and a strategy asked for
 * more vCPUs than it supports refuses with the number it does.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { WORKLOADS, WORKLOAD_NAMES } from '../../core/guest/workloads';
import { resolveOptions } from '../../strategies/options';
import { allStrategies } from '../../strategies/modules';
import { runOne, type RunSpec } from '../../experiments/run/run-one';
import type { RunResult } from '../../experiments/run/result';
import { configurations, smallParam } from './configurations';

const smallN = (w: (typeof WORKLOAD_NAMES)[number]): number => smallParam(w, 30);

const run = (spec: Omit<RunSpec, 'profile'> & { profile?: string }): RunResult => {
  const r = runOne({ profile: 'modern', ...spec });
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  return r.right;
};

/** The result without what may differ between identical runs (host timing). */
const comparable = (r: RunResult): unknown => ({ ...r, host: null });

describe('multiprocessor VMs: every strategy with several vCPUs is equivalent to native', function () {
  this.timeout(600_000);
  for (const s of allStrategies()) {
    const isa = s.requiresVirtualizableIsa ? 'virtualizable' : 'default';
    for (const c of configurations(s)) {
      const resolved = resolveOptions(s, c.options);
      if (isLeft(resolved)) throw new Error(resolved.left.join('; '));
      const most = s.maxVcpus?.(resolved.right) ?? 1;
      for (const vcpus of [2, 4]) {
        if (vcpus > most) continue;
        describe(`${s.name}${Object.keys(c.options).length ? ` ${JSON.stringify(c.options)}` : ''} on ${c.profile}, ${vcpus} vCPUs`, () => {
          for (const w of WORKLOAD_NAMES)
            it(w, () => {
              const r = run({ strategy: s.name, workload: w, params: { n: smallN(w) }, options: c.options, profile: c.profile, isa, vcpus });
              expect(r.divergence, 'divergence').to.equal(null);
              expect(r.equivalent).to.equal(true);
              expect(r.stop.kind).to.equal('shutdown');
              expect(r.console).to.equal(WORKLOADS[w].expected(smallN(w)));
              expect(r.vcpus).to.equal(vcpus);
              expect(r.boot.cpus).to.equal(vcpus);
              // CPU time and counts are the vCPUs' sums
              const per = r.perVcpu ?? [];
              expect(per).to.have.length(vcpus);
              expect(per.reduce((a, v) => a + v.instructions, 0)).to.equal(r.guest.instructions);
              expect(per.reduce((a, v) => a + v.cycles, 0)).to.be.closeTo(r.cycles.total, 1e-6);
              // elapsed time is at most the busiest vCPU's clock, and the region lies within it
              expect(r.seconds).to.be.at.most(Math.max(...per.map((v) => v.cycles)) / 1e9 + 1e-12);
              expect(r.regionSeconds).to.be.at.most(r.seconds);
            });
        });
      }
    }
  }

  it('every vCPU takes part: the secondary CPUs run the threads of pcompute', () => {
    const r = run({ strategy: 'native', workload: 'pcompute', params: { n: 400, threads: 4 }, vcpus: 4 });
    for (const v of r.perVcpu ?? []) expect(v.instructions).to.be.greaterThan(1000);
  });

  it('two runs with the same settings give identical results (the interleaving is deterministic)', () => {
    const spec = { strategy: 'hardware-assisted', workload: 'spinlock' as const, params: { n: 60, threads: 4 }, options: { paging: 'nested' }, vcpus: 4 };
    expect(comparable(run(spec))).to.deep.equal(comparable(run(spec)));
    const pv = { strategy: 'paravirt', workload: 'shootdown' as const, params: { n: 20, threads: 3 }, vcpus: 3 };
    expect(comparable(run(pv))).to.deep.equal(comparable(run(pv)));
  });

  it('trap-and-emulate with several vCPUs on the default ISA is still reported not equivalent, with where it broke', () => {
    const r = run({ strategy: 'trap-and-emulate', workload: 'spinlock', params: { n: 20 }, vcpus: 2 });
    expect(r.equivalent).to.equal(false);
    expect(r.divergence).to.match(/^(pushf|popf|iret|sidt|smsw|rdcpl) at 0x[0-9a-f]+ /);
  });

  it('a strategy refuses more vCPUs than it supports, naming how many it does', () => {
    // binary translation's vCPU areas (data page, doorbell, cache each) share one 4 MiB slot: with the largest cache only one fits
    const r = runOne({ strategy: 'binary-translation', workload: 'compute', profile: 'modern', vcpus: 2, options: { cache: 2 * 1024 * 1024 } });
    expect(isLeft(r) && r.left.join('\n')).to.match(/binary-translation' with unit=12, cache=2097152.* runs guests on at most 1 vCPU, not 2/);
    const both = runOne({ strategy: 'native', workload: 'compute', profile: 'modern', vcpus: 2, boot: { cpus: 4 } });
    expect(isLeft(both) && both.left.join('\n')).to.match(/vcpus=2 and boot parameter cpus=4 disagree/);
  });

  it('IPIs and remote flushes: exits under hardware assistance, hypercalls under paravirt', () => {
    const hw = run({ strategy: 'hardware-assisted', workload: 'shootdown', params: { n: 20, threads: 2 }, options: { paging: 'nested' }, vcpus: 2 });
    const pv = run({ strategy: 'paravirt', workload: 'shootdown', params: { n: 20, threads: 2 }, vcpus: 2 });
    const native = run({ strategy: 'native', workload: 'shootdown', params: { n: 20, threads: 2 }, vcpus: 2 });
    // natively and under VT-x the kernel flushes by request IPI (line 4), each an ICR write that exits
    expect(native.events.ipis.by['sent line 4']).to.equal(20);
    expect(hw.events.ipis.by['sent line 4']).to.equal(20);
    expect(hw.events.exits.by.io).to.be.at.least(20);
    // paravirtual: one tlb_flush_multi per unmap, the hypervisor's own IPIs, no guest request IPIs
    expect(pv.events.hypercalls.by.tlb_flush_multi).to.equal(20);
    expect(pv.events.remoteFlushes.total).to.equal(20);
    expect(pv.events.ipis.by['sent line 4'] ?? 0).to.equal(0);
  });
});
