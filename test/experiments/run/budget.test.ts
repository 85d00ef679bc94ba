/**
 * Long runs: a workload's parameter may be as large as users need (compute n = 10^6), and
 * the default budgets grow with it, so a correct long run is not cut short while a guest
 * that never stops still ends.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { WORKLOADS, WORKLOAD_NAMES } from '../../../core/guest/workloads';
import { DEFAULT_BUDGET, DEFAULT_CYCLE_BUDGET, defaultBudget, runOne } from '../../../experiments/run/run-one';

describe('run budgets for long runs', () => {
  it('the defaults hold for default parameters and for user programs', () => {
    for (const w of WORKLOAD_NAMES) expect(defaultBudget(w, WORKLOADS[w].params.n.default), w).to.deep.equal({ maxInstructions: DEFAULT_BUDGET, maxCycles: DEFAULT_CYCLE_BUDGET });
    expect(defaultBudget('program:mine', 1_000_000)).to.deep.equal({ maxInstructions: DEFAULT_BUDGET, maxCycles: DEFAULT_CYCLE_BUDGET });
  });

  it('compute n = 10^6 gets its declared bound, and the cycle budget grows in the same ratio', () => {
    const b = defaultBudget('compute', 1_000_000);
    expect(b.maxInstructions).to.equal(1_000_000 + 60_000 * 1_000_000);
    expect(b.maxCycles / DEFAULT_CYCLE_BUDGET).to.equal(b.maxInstructions / DEFAULT_BUDGET);
  });

  it("a workload's declared instructions per unit are at least 1.5x what a run retires per unit (measured at n = 20 against n = 0)", function () {
    this.timeout(120_000);
    for (const w of ['compute', 'forkwait', 'ctxswitch', 'syscall'] as const) {
      const n = 20;
      const r = runOne({ strategy: 'binary-translation', workload: w, profile: 'netburst-2006', params: { n } });
      if (isLeft(r)) throw new Error(r.left.join('; '));
      const base = runOne({ strategy: 'binary-translation', workload: w, profile: 'netburst-2006', params: { n: 0 } });
      if (isLeft(base)) throw new Error(base.left.join('; '));
      const perUnit = (r.right.guest.instructions - base.right.guest.instructions) / n;
      expect(perUnit, w).to.be.below(WORKLOADS[w].instructionsPerUnit / 1.5);
    }
  });

  it('compute n = 10^6 is accepted (here cut short by a given budget)', () => {
    const r = runOne({ strategy: 'native', workload: 'compute', profile: 'netburst-2006', params: { n: 1_000_000 }, maxInstructions: 50_000 });
    if (isLeft(r)) throw new Error(r.left.join('; '));
    expect(r.right.stop.kind).to.equal('budget');
    expect(r.right.guest.instructions).to.equal(50_000);
  });
});
