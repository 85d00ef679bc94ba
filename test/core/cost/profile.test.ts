import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/Either';
import { emptyCounts } from '../../../core/events/events';
import { modelCycles, diffEvents } from '../../../core/cost/model';
import { COST_KEYS, decodeProfile, loadProfile, PROFILE_NAMES } from '../../../core/cost/profile';
import { emptyVmmEvents } from '../../../core/cost/vmm-events';

describe('cost profiles', () => {
  for (const name of PROFILE_NAMES)
    it(`${name} loads, prices every event kind and cites a source for each number`, () => {
      const p = loadProfile(name);
      if (isLeft(p)) throw new Error(p.left);
      expect(p.right.name).to.equal(name);
      for (const k of COST_KEYS) {
        expect(p.right.costs[k].cycles, k).to.be.at.least(0);
        expect(p.right.costs[k].source.length, `${name}.${k} source`).to.be.greaterThan(10);
      }
    });

  it('has nested paging only from nehalem-2009 on', () => {
    const nested = PROFILE_NAMES.map((n) => {
      const p = loadProfile(n);
      return isRight(p) && p.right.features.nestedPaging;
    });
    expect(nested).to.deep.equal([false, false, true, true, true]);
  });

  it('refuses unknown names listing the valid ones, and malformed files path by path', () => {
    const u = loadProfile('pentium-pro');
    expect(isLeft(u) && u.left).to.contain('netburst-2006, core2-2008');
    const bad = decodeProfile({ name: 'x', description: 'y', frequencyHz: '3GHz', features: { vtx: true }, costs: {} }, 'bad.json');
    expect(isLeft(bad) && bad.left).to.contain('frequencyHz: expected number, got "3GHz"').and.contain('features.nestedPaging: expected boolean');
  });
});

describe('cost model', () => {
  it('prices counted events and the breakdown adds up to the total', () => {
    const p = loadProfile('netburst-2006');
    if (isLeft(p)) throw new Error(p.left);
    const c = p.right.costs;
    const machine = emptyCounts();
    machine.retiredByRing = [100, 0, 0, 50];
    machine.tlb.walkReferences = 10;
    machine.exceptions = { 14: 2 };
    machine.softwareInterrupts = { 128: 3 };
    machine.vm.exits = { io: 4 };
    const vmm = emptyVmmEvents();
    vmm.traps = { 'privileged:cli': 5 };
    const cyc = modelCycles({ machine, vmm }, p.right);
    expect(cyc.breakdown['guest instructions']).to.equal(150 * c.instruction.cycles);
    expect(cyc.breakdown['page walks']).to.equal(10 * c.pageWalkReference.cycles);
    expect(cyc.breakdown.exceptions).to.equal(2 * c.exceptionDelivery.cycles);
    expect(cyc.breakdown['system calls']).to.equal(3 * c.softwareInterrupt.cycles);
    expect(cyc.breakdown['VM exits']).to.equal(4 * c.vmExitRoundTrip.cycles);
    expect(cyc.breakdown['monitor traps']).to.equal(5 * c.monitorTrapRoundTrip.cycles);
    expect(cyc.total).to.equal(Object.values(cyc.breakdown).reduce((a, v) => a + (v ?? 0), 0));
    expect(cyc.breakdown).to.not.have.property('hypercalls');
  });

  it('diffs snapshots for the measured region', () => {
    const a = { machine: emptyCounts(), vmm: emptyVmmEvents() };
    const b = { machine: emptyCounts(), vmm: emptyVmmEvents() };
    a.machine.retiredByRing = [10, 0, 0, 5];
    b.machine.retiredByRing = [30, 0, 0, 9];
    b.machine.exceptions = { 14: 3 };
    a.vmm.hypercallUpdates = 2;
    b.vmm.hypercallUpdates = 7;
    const d = diffEvents(a, b);
    expect(d.machine.retiredByRing).to.deep.equal([20, 0, 0, 4]);
    expect(d.machine.exceptions).to.deep.equal({ 14: 3 });
    expect(d.vmm.hypercallUpdates).to.equal(5);
  });
});
