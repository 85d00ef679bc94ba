import { expect } from 'chai';
import type { SchedulerView } from '../../../../strategies/host/scheduler';
import { cfsScheduler } from '../../../../strategies/host/schedulers/cfs';
import { creditScheduler } from '../../../../strategies/host/schedulers/credit';
import { esxScheduler } from '../../../../strategies/host/schedulers/esx';
import { newWorld, transition, type World } from '../../../../strategies/host/world';
import { hardware, settings } from '../hosted-vm';

const MS = 1e9;

/** Two worlds on one logical CPU at `nowMs`: `runner` running (on it since `placedAtMs`) having run `ranMs`, `waker` waiting having run `wakerRanMs`. */
const scene = (ranMs: number, wakerRanMs: number, placedAtMs = 0, shares = 1000, nowMs = 10) => {
  const runner = newWorld(0, 0, 0, 'runner', settings());
  const waker = newWorld(1, 1, 0, 'waker', settings({ shares }));
  runner.times.run = ranMs * MS;
  runner.charged = ranMs * MS;
  waker.times.run = wakerRanMs * MS;
  waker.charged = wakerRanMs * MS;
  transition(waker, 'wait', 0);
  runner.state = 'run';
  runner.since = nowMs * MS;
  runner.placedAt = placedAtMs * MS;
  runner.lastLcpu = 0;
  return { runner, waker };
};
const view = (now: number, worlds: World[], running: (World | null)[]): SchedulerView => ({ now: now * MS, worlds, topology: hardware(1, 1).topology, running });

describe('strategies/host/schedulers: wake-up preemption', () => {
  it('esx: a waking world behind in charged time per share takes the CPU; one ahead waits', () => {
    const { runner, waker } = scene(10, 1);
    expect(esxScheduler().preempt?.(view(10, [runner, waker], [runner]), waker)).to.equal(0);
    const ahead = scene(1, 10);
    expect(esxScheduler().preempt?.(view(10, [ahead.runner, ahead.waker], [ahead.runner]), ahead.waker)).to.equal(-1);
  });

  it('cfs: preempts only when the running virtual runtime is ahead by more than the wake-up granularity (1 ms on one CPU)', () => {
    const far = scene(10, 8);
    expect(cfsScheduler().preempt?.(view(10, [far.runner, far.waker], [far.runner]), far.waker)).to.equal(0);
    const near = scene(10, 9.5);
    expect(cfsScheduler().preempt?.(view(10, [near.runner, near.waker], [near.runner]), near.waker)).to.equal(-1);
    // a heavier waker's granularity is smaller in its virtual time: 0.5 ms behind is enough at twice the weight (vruntime 4.75 vs 10)
    const heavy = scene(10, 9.5, 0, 2000);
    expect(cfsScheduler().preempt?.(view(10, [heavy.runner, heavy.waker], [heavy.runner]), heavy.waker)).to.equal(0);
  });

  it('credit: a waker with credit is BOOSTed and preempts a world that has run its rate limit (1 ms), not one that has not', () => {
    // the first accounting shares a period's credit among the runnable worlds: the waker, still runnable then, gets its share
    const make = () => {
      const s = scene(0, 0, 0, 1000, 0);
      s.waker.state = 'ready';
      const c = creditScheduler();
      c.place(view(0, [s.runner, s.waker], [s.runner]));
      transition(s.waker, 'wait', 0);
      return { ...s, c };
    };
    const late = make();
    late.runner.placedAt = 0;
    expect(late.c.preempt?.(view(2, [late.runner, late.waker], [late.runner]), late.waker)).to.equal(0);
    const early = make();
    early.runner.placedAt = 1.5 * MS;
    expect(early.c.preempt?.(view(2, [early.runner, early.waker], [early.runner]), early.waker)).to.equal(-1);
  });
});
