import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/Either';
import { count, free, priced, tally } from '../../../core/cost/counters';
import { diffSnapshots, Ledger, sumSnapshots } from '../../../core/cost/ledger';
import { decodeProfile, loadProfile, pricesOf, PROFILE_NAMES, profilesOf, vendorOf } from '../../../core/cost/profile';
import { MACHINE_COUNTERS } from '../../../core/events/events';
import { allCostKeys } from '../../../strategies/cost-model';

describe('cost profiles', () => {
  for (const name of PROFILE_NAMES)
    it(`${name} loads, prices every cost key of core and of every strategy and cites a source for each number`, () => {
      const p = loadProfile(name);
      if (isLeft(p)) throw new Error(p.left);
      expect(p.right.name).to.equal(name);
      for (const k of allCostKeys()) {
        expect(p.right.costs[k], `${name} lacks ${k}`).to.not.equal(undefined);
        expect(p.right.costs[k].cycles, k).to.be.at.least(0);
        expect(p.right.costs[k].source.length, `${name}.${k} source`).to.be.greaterThan(10);
      }
    });

  it('has nested paging from barcelona-2008 (AMD) and nehalem-2009 (Intel) on', () => {
    const nested = PROFILE_NAMES.map((n) => {
      const p = loadProfile(n);
      return isRight(p) && p.right.features.nestedPaging;
    });
    expect(nested).to.deep.equal([false, false, false, true, true, true, true]);
  });

  it('refuses unknown names listing the valid ones, and malformed files path by path', () => {
    const u = loadProfile('pentium-pro');
    expect(isLeft(u) && u.left).to.contain('netburst-2006, k8-2006, core2-2008, barcelona-2008');
    const bad = decodeProfile({ name: 'x', description: 'y', frequencyHz: '3GHz', features: { vtx: true }, costs: {} }, 'bad.json');
    expect(isLeft(bad) && bad.left).to.contain('frequencyHz: expected number, got "3GHz"').and.contain('features.nestedPaging: expected boolean');
  });

  it('names each part\'s vendor: intel when a file gives none, amd or intel as given, nothing else', () => {
    const base = { name: 'x', description: 'y', frequencyHz: 1e9, features: { vtx: true, nestedPaging: false }, costs: {} };
    const none = decodeProfile(base, 'none.json');
    expect(isRight(none) && vendorOf(none.right)).to.equal('intel');
    const amd = decodeProfile({ ...base, vendor: 'amd' }, 'amd.json');
    expect(isRight(amd) && vendorOf(amd.right)).to.equal('amd');
    const via = decodeProfile({ ...base, vendor: 'via' }, 'via.json');
    expect(isLeft(via) && via.left).to.contain('vendor');
    expect(profilesOf('amd')).to.deep.equal(['k8-2006', 'barcelona-2008']);
    expect(profilesOf('intel')).to.deep.equal(['netburst-2006', 'core2-2008', 'nehalem-2009', 'skylake-2015', 'modern']);
  });
});

describe('cost model (the ledger)', () => {
  const profile = () => {
    const p = loadProfile('netburst-2006');
    if (isLeft(p)) throw new Error(p.left);
    return p.right;
  };
  const TABLE = {
    traps: tally('traps', priced('monitorTrapRoundTrip', 'monitor traps')),
    'x.updates': count('updates', priced('hypercallPerUpdate', 'hypercall updates')),
    'x.sizes': count('bytes', free('a size')),
  };

  it('prices counted events as they happen; the breakdown adds up to the clock', () => {
    const p = profile();
    const c = p.costs;
    const l = new Ledger(pricesOf(p), [MACHINE_COUNTERS, TABLE]);
    l.tally('instructions', 0, 100);
    l.tally('instructions', 3, 50);
    l.count('tlb.walkReferences', 10);
    l.tally('exceptions', 14, 2);
    l.tally('softwareInterrupts', 128, 3);
    l.tally('vm.exits', 'io', 4);
    l.tally('traps', 'privileged cli', 5);
    l.count('x.sizes', 4096);
    expect(l.byCause['guest instructions']).to.equal(150 * c.instruction.cycles);
    expect(l.byCause['page walks']).to.equal(10 * c.pageWalkReference.cycles);
    expect(l.byCause.exceptions).to.equal(2 * c.exceptionDelivery.cycles);
    expect(l.byCause['system calls']).to.equal(3 * c.softwareInterrupt.cycles);
    expect(l.byCause['VM exits']).to.equal(4 * c.vmExitRoundTrip.cycles);
    expect(l.byCause['monitor traps']).to.equal(5 * c.monitorTrapRoundTrip.cycles);
    expect(l.cycles).to.equal(Object.values(l.byCause).reduce((a, v) => a + v, 0));
    expect(l.byCause).to.not.have.property('hypercall updates');
    expect(l.counts['x.sizes']).to.equal(4096);
  });

  it('addToIndex counts and prices a tally by small-integer detail exactly as addTo does', () => {
    const [a, b] = [0, 1].map(() => new Ledger(pricesOf(profile()), [MACHINE_COUNTERS]));
    for (const [ring, n] of [[0, 7], [3, 5], [0, 2], [1, 1]] as const) {
      a.addTo(a.ref('instructions'), ring, n);
      b.addToIndex(b.ref('instructions'), ring, n);
    }
    expect(b.snapshot()).to.deep.equal(a.snapshot());
    expect(b.counts.instructions).to.deep.equal({ 0: 9, 1: 1, 3: 5 });
    expect(b.cycles).to.equal(15 * profile().costs.instruction.cycles);
  });

  it('refuses an undeclared counter, a counter of the wrong shape, and a cost the profile lacks', () => {
    const l = new Ledger(pricesOf(profile()), [MACHINE_COUNTERS]);
    expect(() => l.count('no.such')).to.throw(/not a declared plain counter/);
    expect(() => l.count('exceptions')).to.throw(/not a declared plain counter/);
    expect(() => l.tally('irets', 1)).to.throw(/not a declared tally counter/);
    expect(() => l.declare({ y: count('y', priced('noSuchCost', 'y')) })).to.throw(/no cost 'noSuchCost', which counter 'y' needs/);
    expect(() => l.declare({ irets: count('again', free('x')) })).to.throw(/declared twice, differently/);
    expect(() => l.declare({ irets: count('interrupt returns', priced('iret', 'interrupt returns')) })).to.not.throw();
  });

  it('diffs snapshots for the measured region and sums them over CPUs', () => {
    const l = new Ledger(pricesOf(profile()), [MACHINE_COUNTERS, TABLE]);
    l.tally('instructions', 0, 10);
    l.count('x.updates', 2);
    const a = l.snapshot();
    l.tally('instructions', 0, 20);
    l.tally('exceptions', 14, 3);
    l.count('x.updates', 5);
    const b = l.snapshot();
    const d = diffSnapshots(a, b);
    expect(d.counts.instructions).to.deep.equal({ 0: 20 });
    expect(d.counts.exceptions).to.deep.equal({ 14: 3 });
    expect(d.counts['x.updates']).to.equal(5);
    expect(d.cycles).to.equal(b.cycles - a.cycles);
    expect(Object.values(d.byCause).reduce((x, v) => x + v, 0)).to.equal(d.cycles);
    const s = sumSnapshots([a, b]);
    expect(s.counts.instructions).to.deep.equal({ 0: 40 });
    expect(s.cycles).to.equal(a.cycles + b.cycles);
  });
});
