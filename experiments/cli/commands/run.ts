/**
 * `ringlab run --strategy S --workload W [--profile P] [--param k=v ...] [--option k=v ...]
 * [--isa virtualizable] [--json]`: one run, compared with native.
 * @category CLI
 */
import { isLeft } from 'fp-ts/Either';
import { cycleCauses } from '../../../strategies/cost-model';
import type { IsaVariant } from '../../../core/isa/variant';
import type { MachineSettings } from '../../run/machine-settings';
import { runOne } from '../../run/run-one';
import type { Engine } from '../../../core/cpu/engine';
import type { ProgressStream } from '../../experiment/progress';
import type { RunResult, Tally } from '../../run/result';
import { CliError, ExitCode } from '../../common/errors';
import { formatNumber, table } from '../../common/format';

/** Options of `run`. */
export interface RunOptions {
  readonly strategy: string;
  readonly workload: string;
  /** a user's program file instead of the workload */
  readonly program?: string;
  /** a user's kernel file instead of the shipped kernel */
  readonly kernel?: string;
  readonly profile: string;
  readonly param: readonly string[];
  readonly option: readonly string[];
  readonly isa: IsaVariant;
  readonly json: boolean;
  /** instruction budget (default: the run's, see defaultBudget) */
  readonly maxInstructions?: number;
  readonly maxCycles?: number;
  /** `k=v` boot parameters */
  readonly boot: readonly string[];
  /** virtual CPUs (sets the boot parameter cpus) */
  readonly vcpus?: number;
  /** `KEY=CYCLES` cost overrides */
  readonly cost: readonly string[];
  readonly machine?: MachineSettings;
  /** write a Chrome/Perfetto trace of the run here */
  readonly trace?: string;
  /** the simulator engine (host metadata: no modelled number depends on it) */
  readonly engine?: Engine;
  /** where a progress line goes on a terminal, for runs of more than a few seconds */
  readonly progress?: ProgressStream;
}

/** Seconds of a run before its progress line appears. */
const PROGRESS_AFTER_SECONDS = 3;

/**
 * A progress line on a terminal (nothing elsewhere): which run, instructions so far and the
 * rate, rewritten in place; `done` clears it.
 */
const progressLine = (stream: ProgressStream | undefined, strategy: string): { report: (run: 'native' | 'strategy', instructions: number) => void; done: () => void } => {
  const t0 = performance.now();
  let shown = false;
  if (stream?.isTTY !== true) return { report: () => undefined, done: () => undefined };
  return {
    report: (run, instructions) => {
      const s = (performance.now() - t0) / 1000;
      if (s < PROGRESS_AFTER_SECONDS) return;
      shown = true;
      const who = run === 'native' ? 'native reference' : strategy;
      stream.write(`\r\x1b[K${who}: ${(instructions / 1e6).toFixed(1)} M instructions, ${s.toFixed(0)} s`);
    },
    done: () => {
      if (shown) stream.write('\r\x1b[K');
    },
  };
};

/** Parse `k=v` pairs; `numeric` requires integer values. */
export const parsePairs = (flag: string, pairs: readonly string[], numeric: boolean): Record<string, string | number> => {
  const out: Record<string, string | number> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z][\w-]*)=(.+)$/.exec(p);
    if (!m) throw new CliError(`${flag} expects key=value, got '${p}'`);
    if (numeric) {
      const n = Number(m[2].replace(/_/g, ''));
      if (!Number.isInteger(n)) throw new CliError(`${flag} ${m[1]} must be an integer, got '${m[2]}'`);
      out[m[1]] = n;
    } else out[m[1]] = m[2];
  }
  return out;
};

/** Run and render; returns text and exit code. */
export const runCommand = (o: RunOptions): { text: string; exitCode: number } => {
  const line = progressLine(o.progress, o.strategy);
  const r = runOne({
    strategy: o.strategy,
    workload: o.workload,
    program: o.program,
    kernel: o.kernel,
    profile: o.profile,
    params: parsePairs('--param', o.param, true) as Record<string, number>,
    options: parsePairs('--option', o.option, false),
    isa: o.isa,
    maxInstructions: o.maxInstructions,
    maxCycles: o.maxCycles,
    boot: parsePairs('--boot', o.boot, true),
    vcpus: o.vcpus,
    costOverrides: parsePairs('--cost', o.cost, true) as Record<string, number>,
    machine: o.machine,
    trace: o.trace,
    engine: o.engine,
    progress: line.report,
  });
  line.done();
  if (isLeft(r)) throw new CliError(r.left.join('\n'));
  const ok = r.right.equivalent && r.right.stop.kind === 'shutdown';
  return { text: o.json ? JSON.stringify(r.right, null, 2) : renderRun(r.right), exitCode: ok ? ExitCode.ok : ExitCode.failure };
};

const nonEmpty = (name: string, t: Tally): (string | number)[] | null =>
  t.total === 0 ? null : [name, t.total, Object.entries(t.by).filter(([, v]) => v !== 0).map(([k, v]) => `${k}:${formatNumber(v)}`).join(' ')];

/** Human-readable form of a run. */
export const renderRun = (r: RunResult): string => {
  const opts = Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(' ');
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const head = [
    `strategy   ${r.strategy}${opts ? ` (${opts})` : ''}`,
    `workload   ${r.workload}${params ? ` (${params})` : ''}`,
    `profile    ${r.profile}${r.isa !== 'default' ? `, ISA ${r.isa}` : ''}${Object.keys(r.costOverrides).length ? `, costs overridden: ${Object.entries(r.costOverrides).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
    `boot       ${Object.entries(r.boot).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    `stop       ${r.stop.message}`,
    `equivalent ${r.equivalent ? 'yes' : `NO: ${r.divergence}`}`,
    `slowdown   ${r.slowdown === null ? 'n/a' : `${formatNumber(r.slowdown)}x native (measured region)`}`,
    `cycles     ${formatNumber(r.cycles.total)} total, ${formatNumber(r.cycles.region)} in the measured region, ${formatNumber(r.cycles.perOperation)} per operation`,
    `time       ${formatNumber(r.seconds * 1e3)} ms modelled, ${formatNumber(r.regionSeconds * 1e3)} ms in the measured region`,
    `guest      ${formatNumber(r.guest.instructions)} instructions (ring 0: ${formatNumber(r.guest.byRing[0])}, ring 1: ${formatNumber(r.guest.byRing[1])}, ring 3: ${formatNumber(r.guest.byRing[3])})`,
    `host       ${formatNumber(r.host.wallMs)} ms, ${formatNumber(r.host.mips)} guest MIPS`,
    ...((r.vcpus ?? 1) > 1
      ? [`vcpus      ${r.vcpus}: ${(r.perVcpu ?? []).map((v, i) => `cpu${i} ${formatNumber(v.instructions)} instructions, ${formatNumber(v.cycles)} cycles`).join('; ')}`]
      : []),
  ];
  const ev = Object.entries(r.events)
    .map(([k, t]) => nonEmpty(k, t as Tally))
    .filter((x): x is (string | number)[] => x !== null);
  const cyc = cycleCauses().filter((c) => (r.cycles.regionBreakdown[c] ?? 0) > 0).map((c) => [
    c,
    r.cycles.regionBreakdown[c] ?? 0,
    r.cycles.breakdown[c] ?? 0,
  ]);
  const exitRows = Object.entries(r.cycles.byExitReason).map(([reason, e]) => [reason, e.exits, e.cycles, e.exits > 0 ? e.cycles / e.exits : 0]);
  return [
    `console:\n${r.console}${r.console.endsWith('\n') || r.console === '' ? '' : '\n'}`,
    ...head,
    '',
    table(['event', 'total', 'breakdown'], ev),
    '',
    table(['cycles by cause', 'measured region', 'whole run'], cyc),
    ...(exitRows.length ? ['', table(['VM exit reason', 'exits', 'cycles', 'cycles per exit'], exitRows)] : []),
  ].join('\n');
};
