/**
 * The engine never changes a modelled number (DESIGN.md, principle 3): every strategy on
 * every workload, and random user programs and kernels from the fuzzer, give byte-identical
 * results (every counter, the clock, console, exit code, digest, stop reason) under the
 * reference interpreter and the JIT; only the host metadata differs. The JIT compiles every
 * block on first sight here (`hot: 0`), so nearly all guest code runs compiled.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { setJitDefaults, type JitOptions } from '../../../core/cpu/jit';
import { WORKLOAD_NAMES, type WorkloadName } from '../../../core/guest/workloads';
import { runOne, type RunSpec } from '../../../experiments/run/run-one';
import { randomKernelProgram, randomUserProgram } from '../../../experiments/fuzz/generate';
import { FUZZ_BUDGET } from '../../../experiments/fuzz/fuzz';
import { seededRandom } from '../../../experiments/fuzz/random';
import { STRATEGY_NAMES } from '../../../strategies/registry';

/** Small parameters: a few iterations of every loop, enough for blocks to run compiled many times. */
const SMALL: Readonly<Record<WorkloadName, number>> = {
  syscall: 30,
  in: 30,
  cr8wr: 30,
  callret: 30,
  ptemod: 30,
  pgfault: 12,
  divzero: 20,
  forkwait: 6,
  compute: 2,
  compile: 3,
  io: 4,
  pcompute: 40,
  spinlock: 20,
  shootdown: 5,
  ipi: 10,
  pforkwait: 2,
  ctxswitch: 20,
  pio: 2,
};

/** The run's result as JSON without its host metadata. */
const modelled = (spec: RunSpec, engine: 'interp' | 'jit'): string => {
  const r = runOne({ ...spec, engine });
  if (isLeft(r)) throw new Error(r.left.join('; '));
  const { host, ...rest } = r.right;
  expect(host.engine).to.equal(engine);
  return JSON.stringify(rest);
};

const same = (spec: RunSpec): void => {
  const a = modelled(spec, 'interp');
  const b = modelled(spec, 'jit');
  expect(b, `${spec.strategy} on ${spec.workload}`).to.equal(a);
};

describe('engines: interpreter and JIT give identical results', function () {
  this.timeout(600_000);
  let saved: JitOptions;
  before(() => {
    saved = setJitDefaults({ hot: 0 });
  });
  after(() => setJitDefaults(saved));

  for (const strategy of STRATEGY_NAMES)
    it(`${strategy} on every workload`, () => {
      for (const workload of WORKLOAD_NAMES) same({ strategy, workload, profile: 'netburst-2006', params: { n: SMALL[workload] } });
    });

  it('option variants: nested paging, binary translation without chaining, a direct-mapped 8-entry TLB, a timer at 10 kHz', () => {
    for (const workload of ['pgfault', 'forkwait', 'compute'] as const) {
      const params = { n: SMALL[workload] };
      same({ strategy: 'hardware-assisted', workload, profile: 'nehalem-2009', options: { paging: 'nested' }, params });
      same({ strategy: 'binary-translation', workload, profile: 'netburst-2006', options: { chaining: 'off' }, params });
      same({ strategy: 'native', workload, profile: 'netburst-2006', params, machine: { tlbEntries: 8, tlbWays: 1 } });
      same({ strategy: 'paravirt', workload, profile: 'netburst-2006', params, boot: { hz: 10_000 } });
    }
  });

  it('multiprocessor guests: the parallel workloads on 2 and 3 vCPUs (turns end at the same instruction)', () => {
    for (const workload of ['pcompute', 'spinlock', 'shootdown', 'ipi'] as const)
      for (const [strategy, options] of [['native', {}], ['paravirt', {}], ['hardware-assisted', { paging: 'nested' }], ['binary-translation', {}], ['hybrid', {}]] as const)
        for (const vcpus of [2, 3]) same({ strategy, workload, profile: 'nehalem-2009', options, params: { n: SMALL[workload] }, vcpus });
  });

  it('runs longer than several bursts of either engine (a JIT burst is 16 times an interpreter burst) give identical results', () => {
    for (const strategy of ['native', 'binary-translation', 'hardware-assisted']) {
      const spec: RunSpec = { strategy, workload: 'compute', profile: 'netburst-2006', params: { n: 150 } };
      same(spec);
      expect(JSON.parse(modelled(spec, 'jit')).guest.instructions).to.be.above(3 << 20);
    }
  });

  it('a budget that ends the run inside a loop ends it at the same instruction and cycle', () => {
    for (const maxInstructions of [25_000, 25_001, 31_337]) same({ strategy: 'native', workload: 'compute', profile: 'netburst-2006', params: { n: 3 }, maxInstructions });
    same({ strategy: 'binary-translation', workload: 'compute', profile: 'netburst-2006', params: { n: 3 }, maxCycles: 1_000_000 });
  });

  it('random user programs (faults, self-modifying stores, system calls) under native, binary translation and paravirt', () => {
    const r = seededRandom(1414);
    for (let k = 0; k < 16; k++) {
      const program = randomUserProgram(r, `p${k}`, 40);
      for (const strategy of ['native', 'binary-translation', 'paravirt'])
        same({ strategy, workload: 'program', profile: 'netburst-2006', programImage: { name: program.name, program: program.image }, ...FUZZ_BUDGET });
    }
  });

  it('random kernels from reset (paging off, privileged instructions, stray interrupts) natively and under hardware assistance', () => {
    const r = seededRandom(2718);
    for (let k = 0; k < 8; k++) {
      const kernel = randomKernelProgram(r, `k${k}`, 32);
      for (const strategy of ['native', 'hardware-assisted'])
        same({ strategy, workload: 'syscall', profile: 'netburst-2006', params: { n: 1 }, kernelImage: kernel.image, ...FUZZ_BUDGET });
    }
  });
});
