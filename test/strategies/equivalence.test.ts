/**
 * The equivalence suite (Popek & Goldberg's equivalence property): every registered
 * strategy, in every configuration its declared choice options allow, runs every workload
 * with the same console output, exit code and result digest as native. Only counters,
 * cycles and timing may differ. A strategy registered later is covered without touching
 * this file.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES } from '../../core/cost/profile';
import { WORKLOADS, WORKLOAD_NAMES } from '../../core/guest/workloads';
import { resolveOptions } from '../../strategies/options';
import { configurations, smallParam } from './configurations';
import * as path from 'path';
import { allStrategies, loadStrategyModule } from '../../strategies/modules';
import { runOne } from '../../experiments/run/run-one';
import type { RunResult } from '../../experiments/run/result';

/** A small n per workload, so the whole matrix stays quick. */
const smallN = (w: (typeof WORKLOAD_NAMES)[number]): number => smallParam(w, 40);

const run = (strategy: string, workload: (typeof WORKLOAD_NAMES)[number], options: Record<string, string | number>, profile: string, isa: 'default' | 'virtualizable'): RunResult => {
  const r = runOne({ strategy, workload, params: { n: smallN(workload) }, options, profile, isa });
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  return r.right;
};

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, v) => a + v, 0);

/** Invariants every result satisfies, equivalent or not. */
const countersAddUp = (r: RunResult): void => {
  expect(r.cycles.total, 'cycles = sum of breakdown').to.be.closeTo(sum(r.cycles.breakdown as Record<string, number>), 1e-6);
  expect(r.cycles.region, 'region cycles = sum of region breakdown').to.be.closeTo(sum(r.cycles.regionBreakdown as Record<string, number>), 1e-6);
  expect(r.cycles.region).to.be.at.most(r.cycles.total);
  expect(r.guest.instructions).to.equal(r.guest.byRing.reduce((a, v) => a + v, 0));
  for (const [kind, t] of Object.entries(r.events)) expect(t.total, `${kind} total`).to.be.a('number');
  expect(r.events.exits.total, 'every exit has a reason').to.equal(sum(r.events.exits.by));
  expect(r.events.traps.total, 'every trap has a cause').to.equal(sum(r.events.traps.by));
  expect(r.events.hypercalls.total, 'every hypercall has an operation').to.equal(sum(r.events.hypercalls.by));
  const roundTrip = (r.cycles.breakdown['VM exits'] ?? 0) / Math.max(1, r.events.exits.total);
  for (const [reason, e] of Object.entries(r.cycles.byExitReason)) {
    expect(e.exits, `exits for ${reason}`).to.equal(r.events.exits.by[reason]);
    expect(e.cycles, `cycles for ${reason}`).to.be.at.least(e.exits * roundTrip - 1e-6);
  }
};

/** The worked example of a strategy module (README, "Writing a strategy") is covered too. */
export const EXAMPLE_MODULE = path.join(__dirname, '..', '..', 'experiments', 'examples', 'minimal-vmm.ts');
const example = loadStrategyModule(EXAMPLE_MODULE);
if (isLeft(example)) throw new Error(example.left);

describe('equivalence suite: every strategy is equivalent to native on every workload', function () {
  this.timeout(600_000);
  for (const s of allStrategies()) {
    const isa = s.requiresVirtualizableIsa ? 'virtualizable' : 'default';
    for (const c of configurations(s)) {
      const label = `${s.name}${Object.keys(c.options).length ? ` ${JSON.stringify(c.options)}` : ''} on ${c.profile}${isa === 'virtualizable' ? ' (virtualizable ISA)' : ''}`;
      describe(label, () => {
        for (const w of WORKLOAD_NAMES)
          it(w, () => {
            const r = run(s.name, w, c.options, c.profile, isa);
            countersAddUp(r);
            expect(r.divergence, 'divergence').to.equal(null);
            expect(r.equivalent).to.equal(true);
            expect(r.stop.kind).to.equal('shutdown');
            expect(r.exitCode).to.equal(0);
            expect(r.console).to.equal(WORKLOADS[w].expected(smallN(w)));
            expect(r.slowdown).to.be.a('number').and.greaterThan(0);
          });
      });
    }
    describe(`${s.name} with default options on every profile`, () => {
      for (const profile of PROFILE_NAMES) {
        const prof = loadProfile(profile);
        const options = resolveOptions(s, {});
        if (isLeft(prof) || isLeft(options) || s.check(options.right, prof.right) !== null) continue;
        it(profile, () => {
          for (const w of WORKLOAD_NAMES) {
            const r = run(s.name, w, {}, profile, isa);
            countersAddUp(r);
            expect(r.equivalent, `${w}: ${r.divergence}`).to.equal(true);
          }
        });
      }
    });
    if (s.requiresVirtualizableIsa)
      it(`${s.name} on the default ISA is not equivalent, and says where it broke`, () => {
        const r = run(s.name, 'syscall', {}, 'netburst-2006', 'default');
        countersAddUp(r);
        expect(r.equivalent).to.equal(false);
        expect(r.divergence).to.match(/^(pushf|popf|iret|sidt|smsw|rdcpl) at 0x[0-9a-f]+ /);
      });
  }
});
