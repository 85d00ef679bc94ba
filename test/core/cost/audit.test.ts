/**
 * The audit that cannot drift: every counter the machine or a strategy counts is declared
 * with its pricing, priced by a cost every shipped profile has (where the strategy may run)
 * or free with the reason; every discrete machine event is counted; counting something
 * undeclared fails at once (test/core/cost/profile.test.ts).
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES } from '../../../core/cost/profile';
import { MACHINE_COUNTERS } from '../../../core/events/events';
import { allCounterTables, allCounters, cycleCauses } from '../../../strategies/cost-model';
import { allStrategies } from '../../../strategies/modules';

describe('cost model audit', () => {
  it('every declared counter is priced by a cost key and a cause, or free with a reason', () => {
    for (const [name, spec] of Object.entries(allCounters())) {
      expect(spec.description.length, `${name}: description`).to.be.greaterThan(5);
      if ('free' in spec.pricing) expect(spec.pricing.free.length, `${name}: why it is free`).to.be.greaterThan(10);
      else {
        expect(spec.pricing.cost, `${name}: cost key`).to.match(/^[a-zA-Z]+$/);
        expect(spec.pricing.cause.length, `${name}: cause`).to.be.greaterThan(2);
      }
    }
  });

  it('every profile a strategy accepts prices every counter of the machine and of that strategy', () => {
    for (const p of PROFILE_NAMES) {
      const profile = loadProfile(p);
      if (isLeft(profile)) throw new Error(profile.left);
      for (const s of allStrategies()) {
        for (const table of [MACHINE_COUNTERS, ...s.counters])
          for (const [name, spec] of Object.entries(table))
            if ('cost' in spec.pricing) expect(profile.right.costs[spec.pricing.cost], `${p} lacks '${spec.pricing.cost}' (${s.name}'s '${name}')`).to.not.equal(undefined);
      }
    }
  });

  it('every cost a profile lists prices some counter (no stale keys)', () => {
    const used = new Set(Object.values(allCounters()).flatMap((c) => ('cost' in c.pricing ? [c.pricing.cost] : [])));
    for (const p of PROFILE_NAMES) {
      const profile = loadProfile(p);
      if (isLeft(profile)) throw new Error(profile.left);
      expect(Object.keys(profile.right.costs).filter((k) => !used.has(k)), p).to.deep.equal([]);
    }
  });

  it('the breakdown names every cause, halted time included, and the tables join without conflicts', () => {
    expect(cycleCauses()).to.include.members(['guest instructions', 'halted', 'VM exits', 'device back end', 'VMCS accesses', 'system calls']);
    expect(() => allCounters()).to.not.throw();
    expect(allCounterTables().length).to.be.greaterThan(3);
  });
});
