import { expect } from 'chai';
import { median } from '../../../experiments/bench/median';

describe('bench: median', () => {
  it('takes the middle value of an odd count, the mean of the middle two of an even one, and leaves its input as it was', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).to.equal(3);
    expect(xs).to.deep.equal([5, 1, 3]);
    expect(median([4, 1, 3, 10])).to.equal(3.5);
    expect(median([7])).to.equal(7);
  });
});
