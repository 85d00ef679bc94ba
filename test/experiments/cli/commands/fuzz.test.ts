/**
 * `ringlab fuzz` on the command line: the paravirtual mode and the engines as options, their
 * report, and clear refusals (exit 2) of bad combinations.
 */
import { expect } from 'chai';
import * as path from 'path';
import * as fs from 'fs';
import { cli, tmpdir } from '../helpers';
import { reproducerArgs } from '../../../../experiments/cli/commands/fuzz';
import { fuzzPrograms, FUZZ_BUDGETS } from '../../../../experiments/fuzz/fuzz';

describe('CLI: fuzz', function () {
  this.timeout(120_000);

  it('--paravirt-mode runs hypercall sequences under paravirt on the engines given, and reports the calls', async () => {
    const r = await cli('fuzz', '--paravirt-mode', '--programs', '2', '--seed', '5', '--engines', 'jit,interp', '--out', path.join(tmpdir(), 'fz'), '--json', '--workers', '1');
    expect(r.code, r.err).to.equal(0);
    const report = JSON.parse(r.out);
    // paravirt's three configurations (defaults, batching=off, fastsyscall=off) on two engines
    expect(report.runs).to.equal(2 * 3 * 2);
    expect(report.counts['guest-stop']).to.equal(report.runs);
    expect(report.hypercalls.issued).to.be.greaterThan(0);
    expect(report.reproducers).to.deep.equal([]);
    const text = await cli('fuzz', '--paravirt-mode', '--programs', '1', '--engines', 'interp', '--out', path.join(tmpdir(), 'fz'));
    expect(text.out).to.match(/^1 paravirt hypercall-sequence programs \(seed 1\), 3 runs on interp, /);
    expect(text.out).to.match(/\nhypercalls: \d+ made, \d+ refused by validation\n/);
  });

  for (const mode of ['user', 'kernel'] as const)
    it(`a ${mode}-mode reproducer's command line runs it as the fuzzer did (program or kernel, workload ABI, the mode's budgets)`, async () => {
      const program = fuzzPrograms({ programs: 1, seed: 3, kernelMode: mode === 'kernel' }).next().value!;
      const file = path.join(tmpdir(), `${program.name}-${mode}.s`);
      fs.writeFileSync(file, program.source);
      const r = await cli('run', '--strategy', 'native', ...reproducerArgs(mode, file).split(' '), '--json');
      expect(r.code, r.err).to.be.oneOf([0, 1]);
      const result = JSON.parse(r.out);
      expect(result.stop.kind).to.not.equal('stopped');
      expect(result.guest.instructions).to.be.at.most(FUZZ_BUDGETS[mode].maxInstructions);
    });

  it('refuses unknown or repeated engines, two modes at once, and a paravirtual mode without a paravirtual strategy', async () => {
    const cases: [string[], RegExp][] = [
      [['--engines', 'interp,turbo'], /--engines: unknown engine 'turbo'; engines: interp, jit/],
      [['--engines', 'jit,jit'], /--engines: 'jit,jit' names an engine twice/],
      [['--engines', ','], /--engines: give at least one of interp, jit/],
      [['--kernel-mode', '--paravirt-mode'], /--kernel-mode and --paravirt-mode are two different modes/],
      [['--paravirt-mode', '--strategies', 'native,binary-translation'], /--paravirt-mode runs hypercall sequences under strategies that boot a paravirtual kernel \(paravirt\); none of native, binary-translation does/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('fuzz', '--programs', '1', ...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err).to.match(message);
    }
  });
});
