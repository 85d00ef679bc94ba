import { expect } from 'chai';
import * as fc from 'fast-check';
import { AffinityQueue } from '../../../experiments/experiment/affinity';

/** Tasks named family:number. */
const tasks = (counts: Record<string, number>): string[] => Object.entries(counts).flatMap(([f, n]) => Array.from({ length: n }, (_, i) => `${f}:${i}`));
const family = (t: string): string => t.split(':')[0];

describe('AffinityQueue (which worker runs which task)', () => {
  it('keeps each family on one worker, largest family first to the least loaded worker', () => {
    // the default comparison's shape: hardware-assisted has four configurations, the others one
    const q = new AffinityQueue(tasks({ native: 12, hw: 48, pv: 12, bt: 12, te: 12, hybrid: 12 }), 2, family);
    const [a, b] = q.pending.map((p) => [...new Set(p.map(family))]);
    // hw (48) to the first; native, pv, bt, te to the second (48 then); hybrid to the first on the tie
    expect(a).to.deep.equal(['hw', 'hybrid']);
    expect(b).to.deep.equal(['native', 'pv', 'bt', 'te']);
  });

  it('keeps each family in the order given', () => {
    const q = new AffinityQueue(['a:0', 'b:0', 'a:1', 'b:1', 'a:2'], 2, family);
    expect(q.pending).to.deep.equal([
      ['a:0', 'a:1', 'a:2'],
      ['b:0', 'b:1'],
    ]);
  });

  it('a worker whose queue is empty takes the last task of the longest queue', () => {
    const q = new AffinityQueue(tasks({ a: 4, b: 1 }), 2, family);
    expect(q.next(1)).to.equal('b:0');
    expect(q.next(1)).to.equal('a:3');
    expect(q.next(0)).to.equal('a:0');
    expect(q.next(1)).to.equal('a:2');
    expect(q.next(0)).to.equal('a:1');
    expect(q.next(0)).to.equal(undefined);
    expect(q.next(1)).to.equal(undefined);
  });

  it('property: however workers take turns, every task is handed out exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(), { maxLength: 200 }), (fams, workers, turns) => {
        const all = fams.map((f, i) => `${f}:${i}`);
        const q = new AffinityQueue(all, workers, family);
        const got: string[] = [];
        for (const t of turns) {
          const x = q.next(t % workers);
          if (x !== undefined) got.push(x);
        }
        for (let w = 0; w < workers; w++) for (let x = q.next(w); x !== undefined; x = q.next(w)) got.push(x);
        expect(got.sort()).to.deep.equal([...all].sort());
      }),
    );
  });
});
