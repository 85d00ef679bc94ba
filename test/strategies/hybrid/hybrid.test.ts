/**
 * hybrid: exit clusters run as binary-translated code in root mode. Every exiting
 * instruction the guest executes either exits or is avoided by a callout in a cluster, so
 * exits under clusters=off equal exits plus exits avoided under pairs/on, reason by reason;
 * `threshold` exits at an address come before its cluster; pairs only join straight-line
 * neighbours, `on` follows control flow into loops; with several vCPUs each has its own clusters.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile } from '../../../core/cost/profile';
import { runOne } from '../../../experiments/run/run-one';
import type { RunResult } from '../../../experiments/run/result';
import { hybrid } from '../../../strategies/hybrid/hybrid';
import { resolveOptions } from '../../../strategies/options';

const run = (workload: string, n: number, options: Record<string, string | number>, profile = 'netburst-2006'): RunResult => {
  const r = runOne({ strategy: 'hybrid', workload, params: { n }, options, profile });
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  expect(r.right.equivalent, `${workload} ${JSON.stringify(options)}: ${r.right.divergence}`).to.equal(true);
  return r.right;
};

/** Exits by reason, with the avoided ones of each reason added back. */
const exitsWithAvoided = (r: RunResult): Record<string, number> => {
  const by = { ...r.events.exits.by } as Record<string, number>;
  const c = r.events.clusters.by as Record<string, number>;
  const reasonOf: Record<string, string> = { in: 'io', out: 'io', 'wrcr cr8': 'cr-access', 'wrcr cr3': 'cr-access', 'wrcr cr0': 'cr-access', invlpg: 'invlpg', 'pte-write': 'exception' };
  for (const [k, n] of Object.entries(c))
    if (k.startsWith('avoided ')) {
      const reason = reasonOf[k.slice('avoided '.length)];
      by[reason] = (by[reason] ?? 0) + n;
    }
  return by;
};

describe('hybrid: exit clusters', function () {
  this.timeout(120_000);

  for (const [workload, n] of [
    ['in', 100],
    ['cr8wr', 100],
    ['ptemod', 100],
  ] as const)
    it(`${workload}: every exiting instruction exits or is avoided (clusters=off equals exits + avoided under pairs and on)`, () => {
      const off = run(workload, n, { clusters: 'off' });
      expect(off.events.clusters.total).to.equal(0);
      expect(off.events.translation.total).to.equal(0);
      for (const clusters of ['pairs', 'on']) expect(exitsWithAvoided(run(workload, n, { clusters })), clusters).to.deep.equal(off.events.exits.by);
    });

  it('in: a loop with one exiting instruction is a cluster only with clusters=on; after `threshold` exits there it never exits again', () => {
    expect(run('in', 100, { clusters: 'pairs' }).events.clusters.by.formed).to.equal(0);
    for (const threshold of [2, 5]) {
      const r = run('in', 100, { clusters: 'on', threshold });
      expect(r.events.clusters.by['avoided in'], `threshold ${threshold}`).to.equal(100 - threshold);
      expect(r.events.callouts.by.in).to.equal(100 - threshold);
    }
  });

  it('ptemod: pairs join the page-table store and the INVLPG after it; on runs the whole loop translated', () => {
    const pairs = run('ptemod', 100, { clusters: 'pairs' });
    expect(pairs.events.clusters.by).to.include({ formed: 1, meanLength: 2, exitingPerCluster: 2, 'avoided invlpg': 99 });
    expect(pairs.events.exits.by.invlpg).to.equal(1);
    const on = run('ptemod', 100, { clusters: 'on' });
    expect(on.events.clusters.by['avoided pte-write']).to.equal(98);
    expect(on.events.callouts.by['pte-write']).to.equal(98);
    expect(on.events.exits.total).to.be.below(pairs.events.exits.total / 2);
    expect(on.slowdown).to.be.below(pairs.slowdown!);
  });

  it('prices the translation per profile: the same clusters cost the profile\'s translationPerInstruction', () => {
    for (const profile of ['netburst-2006', 'modern']) {
      const p = loadProfile(profile);
      if (isLeft(p)) throw new Error(p.left);
      const r = run('cr8wr', 50, { clusters: 'on' }, profile);
      expect(r.cycles.breakdown.translation).to.equal(r.events.translation.by.guestInstructions * p.right.costs.translationPerInstruction.cycles);
      expect(r.cycles.breakdown['translated cluster entries']).to.equal(r.events.clusters.by.runs * p.right.costs.callout.cycles);
    }
  });

  it('with several vCPUs each vCPU forms and runs clusters in a cluster cache of its own, equivalent to native', () => {
    const r = runOne({ strategy: 'hybrid', workload: 'shootdown', params: { n: 5, threads: 2 }, profile: 'netburst-2006', vcpus: 2 });
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    expect(r.right.equivalent).to.equal(true);
    const by = (events: Record<string, unknown>, kind: string): Record<string, number> => (events[kind] as { by: Record<string, number> }).by;
    expect(r.right.perVcpu).to.have.length(2);
    for (const v of r.right.perVcpu ?? []) {
      expect(by(v.events, 'clusters').formed).to.be.greaterThan(0);
      expect(by(v.events, 'clusters').runs).to.be.greaterThan(0);
      expect(by(v.events, 'translation').units).to.be.greaterThan(0);
    }
  });

  it('refuses the other vendor, naming the profiles that fit', () => {
    const o = resolveOptions(hybrid, { vendor: 'amd' });
    const p = loadProfile('modern');
    if (isLeft(o) || isLeft(p)) throw new Error('setup');
    expect(hybrid.check(o.right, p.right)).to.match(/^option vendor=amd does not apply to profile 'modern', an Intel part .*profiles that fit vendor=amd: k8-2006, barcelona-2008$/);
  });
});
