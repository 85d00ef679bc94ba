/**
 * The fuzzer's paravirtual mode: random hypercall sequences from a paravirtual kernel under
 * paravirt. They draw on every row of the hypercall table, race block reads with page-table
 * promotion, end cleanly with the invariants intact on both engines, and a hypervisor whose
 * page-table validation is switched off is caught by them.
 */
import { expect } from 'chai';
import { fuzz } from '../../../experiments/fuzz/fuzz';
import { randomHypercallKernel } from '../../../experiments/fuzz/hypercalls';
import { seededRandom } from '../../../experiments/fuzz/random';
import { DirectPager } from '../../../strategies/paravirt/direct-paging';
import { HYPERCALLS } from '../../../strategies/paravirt/hypercall-table';
import { STRATEGIES } from '../../../strategies/registry';
import type { Strategy } from '../../../strategies/strategy';

const PARAVIRT = [STRATEGIES.paravirt] as Strategy[];

describe('fuzz: hypercall sequences', function () {
  this.timeout(300_000);

  it('draw on every row of the hypercall table, on numbers no row has, and on block reads racing with the promotion of their buffer', () => {
    const r = seededRandom(11);
    const sources = Array.from({ length: 30 }, (_, k) => randomHypercallKernel(r, `h${k}`, 40).source);
    const text = sources.join('\n');
    const numbers = new Set([...text.matchAll(/li r1, (-?\d+)\n(?:\s+li r[2-5], .*\n){4}\s+vmcall/g)].map((m) => Number(m[1])));
    expect(HYPERCALLS.map((row) => row.number).filter((n) => !numbers.has(n))).to.deep.equal([]);
    expect([...numbers].some((n) => !HYPERCALLS.some((row) => row.number === n))).to.equal(true);
    // a block read into a frame, then new_baseptr of that frame
    expect(text).to.match(/li r1, 7\n\s+li r2, 1\n\s+li r3, \d+\n\s+li r4, (hc_frames \+ \d+)\n\s+li r5, 0\n\s+vmcall\n\s+li r1, 3\n\s+li r2, \1\n/);
    expect(randomHypercallKernel(seededRandom(3), 'x', 20).source).to.equal(randomHypercallKernel(seededRandom(3), 'x', 20).source);
  });

  it('12 sequences under every configuration of paravirt, on the interpreter and the JIT: clean ends, no host failure, calls made and refused', () => {
    const r = fuzz({ programs: 12, seed: 2027, strategies: PARAVIRT, kernelMode: false, paravirtMode: true });
    expect(r.failures).to.deep.equal([]);
    expect(r.counts['guest-stop']).to.equal(r.runs);
    expect(r.hypercalls.issued).to.be.greaterThan(12 * 6 * 10);
    expect(r.hypercalls.refused).to.be.greaterThan(0).and.lessThan(r.hypercalls.issued);
  });

  it('a hypervisor that stops validating page-table updates is caught: isolation violations are host failures with a reproducer', () => {
    const validated = Object.getOwnPropertyDescriptor(DirectPager.prototype, 'update')!;
    Object.defineProperty(DirectPager.prototype, 'update', {
      ...validated,
      value(this: { m: { memory: { write32(a: number, v: number): void } } }, a: number, v: number) {
        this.m.memory.write32(a >>> 0, v);
        return null;
      },
    });
    try {
      const r = fuzz({ programs: 10, seed: 2028, strategies: PARAVIRT, kernelMode: false, paravirtMode: true, engines: ['interp'] });
      expect(r.counts['host-failure']).to.be.greaterThan(0);
      expect(r.failures.every((f) => f.verdict === 'host-failure' && /^isolation violated: /.test(f.detail))).to.equal(true);
      expect(r.failures[0].source).to.match(/^; ringlab fuzz: fuzz-2028-\d+ \(paravirt hypercall mode\)/);
    } finally {
      Object.defineProperty(DirectPager.prototype, 'update', validated);
    }
  });
});
