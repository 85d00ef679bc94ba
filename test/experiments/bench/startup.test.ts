/**
 * The bench's start-up probes run the project's real code: the worker probe must start an
 * experiment worker and have a task answered (it broke silently once when tasks gained a
 * `kind`, and the bench then wrote no JSON).
 */
import { expect } from 'chai';
import { workerReadyMs } from '../../../experiments/bench/startup';

describe('bench: start-up probes', function () {
  this.timeout(120_000);

  it('the worker probe starts an experiment worker that answers its task', () => {
    const ms = workerReadyMs();
    expect(ms).to.be.a('number').and.to.be.greaterThan(0);
  });
});
