/** runOne: a run and its native baseline. */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { addBaselines, runOne, takeNewBaselines } from '../../../experiments/run/run-one';
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

describe('runOne: baselines passed between threads', () => {
  const spec = { strategy: 'paravirt', workload: 'syscall', params: { n: 41 }, profile: 'netburst-2006', maxInstructions: 123_456_791 };

  it('hands out each baseline it simulated once, and a thread given it simulates only the run', () => {
    takeNewBaselines();
    const here = counting(() => runOne(spec));
    expect(here.simulations).to.equal(2);
    const taken = takeNewBaselines();
    expect(taken.map(([key]) => JSON.parse(key)[0])).to.deep.equal(['syscall']);
    expect(takeNewBaselines()).to.deep.equal([]);
    // another spec whose baseline comes from "another thread": a doctored one, to see it used
    const other = { ...spec, maxInstructions: 123_456_792 };
    const key = taken[0][0].replace('123456791', '123456792');
    addBaselines([[key, { ...taken[0][1], regionCycles: taken[0][1].regionCycles / 2 }]]);
    const there = counting(() => runOne(other));
    expect(there.simulations).to.equal(1);
    if (isLeft(here.value) || isLeft(there.value)) throw new Error('run failed');
    expect(there.value.right.slowdown).to.be.closeTo(2 * here.value.right.slowdown!, 1e-9);
    expect(takeNewBaselines()).to.deep.equal([]);
  });

  it('keeps a baseline it has over one given', () => {
    const given = counting(() => runOne({ ...spec, strategy: 'native', maxInstructions: 123_456_793 }));
    const [[key, outcome]] = takeNewBaselines();
    addBaselines([[key, { ...outcome, regionCycles: 1 }]]);
    const again = runOne({ ...spec, maxInstructions: 123_456_793 });
    if (isLeft(given.value) || isLeft(again)) throw new Error('run failed');
    // against the given baseline (one cycle) the slowdown would be in the millions
    expect(again.right.slowdown).to.be.within(1, 100);
  });
});
