/**
 * `ringlab fuzz [--programs N] [--seed S] [--strategies a,b] [--kernel-mode | --paravirt-mode]
 * [--engines a,b] [--workers N] [--out DIR] [--json]`: random guest programs under every
 * strategy on every engine, each compared with native (or, in the paravirtual mode, random
 * hypercall sequences under the paravirtual strategies); host failures are written as
 * reproducers and make the exit code non-zero.
 * @category CLI
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { allStrategies, lookupStrategy } from '../../../strategies/modules';
import type { Strategy } from '../../../strategies/strategy';
import { CliError, ExitCode } from '../../common/errors';
import { table } from '../../common/format';
import { FUZZ_BUDGETS, FUZZ_ENGINES, type FuzzReport } from '../../fuzz/fuzz';
import type { FuzzProgram } from '../../fuzz/generate';
import { fuzzOnWorkers } from '../../fuzz/parallel';
import type { Engine } from '../../../core/cpu/engine';

/** Options of `fuzz`. */
export interface FuzzOptions {
  readonly programs: number;
  readonly seed: number;
  /** strategy names; empty: all */
  readonly strategies: readonly string[];
  readonly kernelMode: boolean;
  /** paravirtual kernels of random hypercall sequences, under the strategies that boot a paravirtual kernel */
  readonly paravirtMode?: boolean;
  readonly out: string;
  readonly json: boolean;
  readonly profile?: string;
  /** called after each program */
  readonly onProgress?: (done: number, total: number) => void;
  /** worker threads (default 1: in this thread); the report does not depend on it */
  readonly workers?: number;
  /** engines each configuration runs under (default: the interpreter); the first is the reference */
  readonly engines?: readonly Engine[];
}

/** Fuzz, write reproducers of host failures into `out`, render; returns text and exit code. */
export const fuzzCommand = async (o: FuzzOptions): Promise<{ text: string; exitCode: number }> => {
  if (o.kernelMode && o.paravirtMode === true) throw new CliError('--kernel-mode and --paravirt-mode are two different modes: give one of them');
  const chosen: Strategy[] =
    o.strategies.length === 0
      ? allStrategies()
      : o.strategies.map((n) => {
          const s = lookupStrategy(n);
          if (isLeft(s)) throw new CliError(s.left);
          return s.right;
        });
  // hypercall sequences come from a paravirtual kernel: only a strategy that boots one runs them
  const strategies = o.paravirtMode === true ? chosen.filter((s) => s.kernelBuild === 'paravirt') : chosen;
  if (strategies.length === 0)
    throw new CliError(`--paravirt-mode runs hypercall sequences under strategies that boot a paravirtual kernel (${allStrategies().filter((s) => s.kernelBuild === 'paravirt').map((s) => s.name).join(', ')}); none of ${o.strategies.join(', ')} does`);
  const report = await fuzzOnWorkers(
    { programs: o.programs, seed: o.seed, strategies, kernelMode: o.kernelMode, paravirtMode: o.paravirtMode, profile: o.profile, engines: o.engines, onProgress: (d) => o.onProgress?.(d, o.programs) },
    o.workers ?? 1,
  );
  const written = writeReproducers(report, o.out);
  const bad = report.failures.length > 0;
  return { text: o.json ? JSON.stringify({ ...report, reproducers: written }, null, 2) : render(report, o, written), exitCode: bad ? ExitCode.failure : ExitCode.ok };
};

/** Write each failing program's source once into `out`; the files written. */
export const writeReproducers = (r: FuzzReport, out: string): string[] => {
  const withSource = r.failures.filter((f) => f.source !== undefined);
  if (withSource.length === 0) return [];
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create '${out}' for the reproducers: ${(e as Error).message}`);
  }
  const files = new Map<string, string>();
  for (const f of withSource) files.set(path.join(out, `${f.program}.s`), f.source!);
  for (const [file, source] of files) fs.writeFileSync(file, source);
  return [...files.keys()];
};

/** The `run` arguments that repeat a fuzz run of the reproducer `file` in `mode`: the program or kernel, its workload ABI, the mode's budgets. */
export const reproducerArgs = (mode: FuzzProgram['mode'], file: string): string => {
  const b = FUZZ_BUDGETS[mode];
  const what = mode === 'user' ? `--program ${file}` : `--workload syscall --kernel ${file}`;
  return `${what} --param n=1 --max-instructions ${b.maxInstructions} --max-cycles ${b.maxCycles}`;
};

const render = (r: FuzzReport, o: FuzzOptions, written: readonly string[]): string => {
  const mode = o.paravirtMode === true ? 'paravirt' : o.kernelMode ? 'kernel' : 'user';
  const budget = FUZZ_BUDGETS[mode];
  return [
    `${r.programs} ${mode === 'paravirt' ? 'paravirt hypercall-sequence' : `${mode}-mode`} programs (seed ${o.seed}), ${r.runs} runs on ${(o.engines ?? FUZZ_ENGINES).join(' and ')}, budgets ${budget.maxInstructions} instructions / ${budget.maxCycles} cycles`,
    table(
      ['verdict', 'runs'],
      Object.entries(r.counts).map(([k, v]) => [k, v]),
    ),
    `not equivalent as expected (trap-and-emulate on the default ISA${o.kernelMode ? ', paravirt on a random kernel' : ''}): ${r.expectedDivergences}`,
    ...(r.hypercalls.issued > 0 ? [`hypercalls: ${r.hypercalls.issued} made, ${r.hypercalls.refused} refused by validation`] : []),
    'invariants checked after every run: reserved memory of every VMM, paravirt frame types and reference counts',
    ...(r.failures.length === 0
      ? ['host failures: 0']
      : [
          `FAILURES: ${r.failures.length}`,
          ...r.failures.slice(0, 20).map((f) => `  ${f.verdict} ${f.program} ${f.strategy} ${JSON.stringify(f.options)} isa=${f.isa} engine=${f.engine}: ${f.detail}`),
          ...written.map((w) => `  reproducer: ${w} (run it with: ringlab run --strategy S ${reproducerArgs(mode, w)} [--engine jit])`),
        ]),
  ].join('\n');
};
