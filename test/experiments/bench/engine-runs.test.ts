/**
 * The bench's engine measurements, on tiny counts: every program under both engines, the
 * same guest work per iteration, ratios against the yardsticks; and the child process the
 * bench runs them in answers with JSON.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { expect } from 'chai';
import { measurePrograms, type ProgramsResult } from '../../../experiments/bench/engine-runs';
import { BENCH_PROGRAMS } from '../../../experiments/bench/programs';

describe('bench: engine measurements', function () {
  this.timeout(120_000);

  it('runs every program under both engines, the same loop per iteration, with finite ratios', () => {
    const r = measurePrograms(2000, 1, 1);
    expect(r.rows.map((x) => `${x.program}/${x.engine}`)).to.deep.equal(BENCH_PROGRAMS.flatMap((p) => [`${p.name}/interp`, `${p.name}/jit`]));
    for (const p of BENCH_PROGRAMS) {
      const [interp, jit] = r.rows.filter((x) => x.program === p.name);
      // each engine's timed runs are scaled to last 100 ms: the same loop, more iterations for the faster
      for (const row of [interp, jit]) expect(row.iterations).to.be.at.least(2000);
      const perIteration = (x: typeof jit) => x.instructions / x.iterations;
      expect(Math.abs(perIteration(jit) - perIteration(interp))).to.be.below(0.2 * perIteration(interp));
      expect(jit.mips).to.be.greaterThan(0);
      expect(Number.isFinite(jit.ofBareSwitch)).to.equal(true);
      expect(jit.ofHandWritten === null).to.equal(p.name !== 'compute');
    }
    expect(r.bareSwitchMips).to.be.greaterThan(0);
    expect(r.handWrittenComputeMips).to.be.greaterThan(0);
  });

  it('the child process answers a job with its result as JSON', () => {
    const probe = path.join(__dirname, '../../../experiments/bench/engine-probe.js');
    const out = spawnSync(process.execPath, [probe, JSON.stringify({ what: 'programs', n: 500, repeats: 1, warmups: 0 })], { encoding: 'utf8' });
    expect(out.status, out.stderr).to.equal(0);
    const r = JSON.parse(out.stdout) as ProgramsResult;
    expect(r.rows).to.have.length(2 * BENCH_PROGRAMS.length);
  });
});
