/**
 * Running the `ringlab` command (bin/ringlab.js) as a child process, as a user would, and
 * timing it: wall time always, CPU time (user + system, all threads) when asked for, read
 * from the child itself through a preloaded probe.
 * @category Bench
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

/** The command the bench times. */
const BIN = path.join(__dirname, '..', '..', 'bin', 'ringlab.js');

/** Preloaded into the child to report its CPU time on file descriptor 3. */
const CPU_PROBE = path.join(__dirname, 'cpu-usage-probe.js');

/** A finished child's timings. */
export interface CliTiming {
  readonly wallMs: number;
  /** user + system CPU time of the whole child process, null unless asked for */
  readonly cpuMs: number | null;
}

/** Run `ringlab ...args` to completion; a failing command throws with its stderr. */
export const timeCli = (args: readonly string[], o: { cpu: boolean }): CliTiming => {
  const argv = o.cpu ? ['-r', CPU_PROBE, BIN, ...args] : [BIN, ...args];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`ringlab ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  if (!o.cpu) return { wallMs, cpuMs: null };
  const usage = JSON.parse(String(r.output[3])) as NodeJS.CpuUsage;
  return { wallMs, cpuMs: (usage.user + usage.system) / 1000 };
};
