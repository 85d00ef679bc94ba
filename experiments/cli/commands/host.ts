/**
 * `ringlab host SPEC.json [--out DIR] [--json] [--trace FILE]`: many VMs on a modelled host
 * (experiments/host/): esxtop's metrics per vCPU and logical CPU, energy, each VM's progress
 * and slowdown against itself alone on the idle host. `--out` also writes the timeline of
 * who ran on each logical CPU and the stacked vCPU states as charts (vega-lite, SVG, PNG).
 * @category CLI
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { CliError, ExitCode } from '../../common/errors';
import { renderHost } from '../../host/render';
import { runHostSpec, type HostRunStretch } from '../../host/run-host';
import { loadHostSpec } from '../../host/spec';
import { mergeStretches } from '../../host/timeline';
import { hostTraceJson } from '../../host/perfetto';
import { HOST_CHART_BUILDERS, type HostChartName } from '../../charts/host-charts';
import { writeCharts } from '../../charts/write-charts';

/** Options of `host`. */
export interface HostOptions {
  readonly spec: string;
  readonly out?: string;
  readonly json: boolean;
  readonly trace?: string;
}

const write = (file: string, text: string | Buffer, what: string): void => {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new CliError(`cannot write ${what} '${file}': ${(e as Error).message}`);
  }
};

/** The charts `--out` writes, by file name. */
const OUT_CHARTS: readonly [string, HostChartName][] = [
  ['host-timeline', 'hostTimeline'],
  ['host-states', 'hostStates'],
];

/** Run a host spec and render it; returns text and exit code (1 if a VM stopped other than by shutting down with 0). */
export const hostCommand = async (o: HostOptions): Promise<{ text: string; exitCode: number }> => {
  const spec = loadHostSpec(o.spec);
  if (isLeft(spec)) throw new CliError(spec.left.join('\n'));
  const stretches: HostRunStretch[] = [];
  const r = runHostSpec(spec.right, o.trace === undefined && o.out === undefined ? undefined : (s) => stretches.push(s));
  if (isLeft(r)) throw new CliError(r.left.join('\n'), ExitCode.failure);
  const json = JSON.stringify(r.right, null, 2);
  if (o.out !== undefined) {
    write(path.join(o.out, 'host-result.json'), `${json}\n`, 'the result');
    write(path.join(o.out, 'host-spec.json'), `${JSON.stringify(spec.right, null, 2)}\n`, 'the spec');
    const input = { label: spec.right.name ?? path.basename(o.spec, '.json'), result: r.right, timeline: mergeStretches(stretches) };
    const charts = OUT_CHARTS.flatMap(([file, name]) => {
      const spec = HOST_CHART_BUILDERS[name]([input]);
      return spec === null ? [] : [{ name: file, spec }];
    });
    await writeCharts(path.join(o.out, 'charts'), charts, (f, data) => write(f, data, 'a chart'));
  }
  if (o.trace !== undefined) write(o.trace, hostTraceJson(stretches, r.right.pcpus.length), 'the trace');
  const ok = r.right.vms.every((v) => v.stop === null || v.exitCode === 0);
  return { text: o.json ? json : renderHost(r.right), exitCode: ok ? ExitCode.ok : ExitCode.failure };
};
