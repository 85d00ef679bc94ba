/**
 * `ringlab host SPEC.json [--out DIR] [--json] [--trace FILE]`: many VMs on a modelled host
 * (experiments/host/): esxtop's metrics per vCPU and logical CPU, energy, each VM's progress
 * and slowdown against itself alone on the idle host.
 * @category CLI
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { CliError, ExitCode } from '../../common/errors';
import { renderHost } from '../../host/render';
import { runHostSpec, type HostRunStretch } from '../../host/run-host';
import { loadHostSpec } from '../../host/spec';

/** Options of `host`. */
export interface HostOptions {
  readonly spec: string;
  readonly out?: string;
  readonly json: boolean;
  readonly trace?: string;
}

/** The Perfetto trace of a host run: one track (thread) per logical CPU, a slice per stretch a vCPU ran. */
const traceOf = (stretches: readonly HostRunStretch[], lcpus: number): string =>
  JSON.stringify({
    traceEvents: [
      { name: 'process_name', ph: 'M', pid: 0, tid: 0, ts: 0, args: { name: 'host' } },
      ...Array.from({ length: lcpus }, (_, i) => ({ name: 'thread_name', ph: 'M', pid: 0, tid: i, ts: 0, args: { name: `PCPU ${i}` } })),
      ...stretches.map((s) => ({ name: s.world, cat: 'run', ph: 'X', pid: 0, tid: s.lcpu, ts: s.startPs / 1e6, dur: (s.endPs - s.startPs) / 1e6 })),
    ],
    displayTimeUnit: 'ms',
  });

const write = (file: string, text: string, what: string): void => {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new CliError(`cannot write ${what} '${file}': ${(e as Error).message}`);
  }
};

/** Run a host spec and render it; returns text and exit code (1 if a VM stopped other than by shutting down with 0). */
export const hostCommand = (o: HostOptions): { text: string; exitCode: number } => {
  const spec = loadHostSpec(o.spec);
  if (isLeft(spec)) throw new CliError(spec.left.join('\n'));
  const stretches: HostRunStretch[] = [];
  const r = runHostSpec(spec.right, o.trace === undefined ? undefined : (s) => stretches.push(s));
  if (isLeft(r)) throw new CliError(r.left.join('\n'), ExitCode.failure);
  const json = JSON.stringify(r.right, null, 2);
  if (o.out !== undefined) {
    write(path.join(o.out, 'host-result.json'), `${json}\n`, 'the result');
    write(path.join(o.out, 'host-spec.json'), `${JSON.stringify(spec.right, null, 2)}\n`, 'the spec');
  }
  if (o.trace !== undefined) write(o.trace, traceOf(stretches, r.right.pcpus.length), 'the trace');
  const ok = r.right.vms.every((v) => v.stop === null || v.exitCode === 0);
  return { text: o.json ? json : renderHost(r.right), exitCode: ok ? ExitCode.ok : ExitCode.failure };
};
