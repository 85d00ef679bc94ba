/** runOne: a run and its native baseline. */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { runOne } from '../../../experiments/run/run-one';
import * as simulation from '../../../experiments/run/simulate';

/** Call `f` with simulate counted; the count and f's value. */
const counting = <T>(f: () => T): { simulations: number; value: T } => {
  const mod = simulation as { simulate: typeof simulation.simulate };
  const original = mod.simulate;
  let simulations = 0;
  mod.simulate = (s) => {
    simulations++;
    return original(s);
  };
  try {
    const value = f();
    return { simulations, value };
  } finally {
    mod.simulate = original;
  }
};

describe('runOne: native baselines', () => {
  // a budget no other test uses, so that no baseline is cached for these specs
  const spec = { strategy: 'native', workload: 'syscall', params: { n: 37 }, profile: 'netburst-2006', maxInstructions: 123_456_789 };
  const strip = (r: object) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'host'));

  it('a native run that finds no baseline is simulated once: it is its own baseline; later it is simulated against the cached one', () => {
    const first = counting(() => runOne(spec));
    expect(first.simulations).to.equal(1);
    const again = counting(() => runOne(spec));
    expect(again.simulations).to.equal(1);
    if (isLeft(first.value) || isLeft(again.value)) throw new Error('run failed');
    expect(strip(first.value.right)).to.deep.equal(strip(again.value.right));
    expect([first.value.right.equivalent, first.value.right.slowdown]).to.deep.equal([true, 1]);
  });

  it('another strategy on a new spec simulates the baseline and the run', () => {
    const r = counting(() => runOne({ ...spec, strategy: 'paravirt', maxInstructions: 123_456_790 }));
    expect(r.simulations).to.equal(2);
  });
});
