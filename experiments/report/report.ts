/**
 * `ringlab report DIR`: one self-contained HTML file (report.html) with the experiment's
 * interactive charts (vega, inlined), its result tables and its provenance. It needs no
 * network and no other file.
 * @category Report
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { configColourMap, experimentCharts, type ChartName } from '../charts/from-results';
import { CliError } from '../common/errors';
import { MANIFEST_FILE, readManifest } from '../experiment/manifest';
import { readResults } from '../experiment/experiment';
import { hostRowsOf, runRowsOf, type HostRow, type ResultRow } from '../experiment/result-codec';
import { hostCharts, isHostChart } from '../charts/host-charts';
import { loadVega, packageFile } from '../charts/vega-bundles';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe to embed in a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const fmt = (n: number | null, digits = 2): string => (n === null || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));

/** The results, each configuration marked with its colour in the charts. */
const resultsTable = (rows: readonly ResultRow[]): string => {
  const profiles = new Set(rows.map((r) => r.profile)).size;
  const { configOf, colours } = configColourMap(rows);
  const colourOf = (r: ResultRow) => colours.range[colours.domain.indexOf(configOf(r))];
  const head = ['configuration', 'workload', 'params', ...(profiles > 1 ? ['profile'] : []), 'equivalent', 'slowdown', 'cycles / op', 'exits', 'traps', 'hypercalls', 'instructions'];
  const body = rows
    .filter((r) => r.repetition === 0)
    .map((r) =>
      [
        `<span class="swatch" style="background:${colourOf(r)}"></span>${esc(r.label)}`,
        esc(r.workload),
        esc(Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ')),
        ...(profiles > 1 ? [esc(r.profile)] : []),
        r.equivalent ? 'yes' : `<span class="bad" title="${esc(r.divergence ?? '')}">no</span>`,
        fmt(r.slowdown),
        fmt(r.cycles.perOperation, 1),
        fmt(r.events.exits.total, 0),
        fmt(r.events.traps.total, 0),
        fmt(r.events.hypercalls.total, 0),
        fmt(r.guest.instructions, 0),
      ]
        .map((c, i) => `<td${i >= 5 ? ' class="num"' : ''}>${c}</td>`)
        .join(''),
    );
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.map((b) => `<tr>${b}</tr>`).join('\n')}</tbody></table>`;
};

/** The host runs: per host run and VM, its progress, slowdown and vCPU states, with the host's energy and frequency. */
const hostTable = (rows: readonly HostRow[]): string => {
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const head = ['host', 'VM', 'progress (op/s)', 'slowdown', '%RUN', '%RDY', '%MLMTD', '%CSTP', '%WAIT', 'energy (J)', 'avg MHz', 'modelled ms'];
  const body = rows
    .filter((r) => r.repetition === 0)
    .flatMap((r) =>
      r.vms.map((vm) => {
        const m = (k: '%RUN' | '%RDY' | '%MLMTD' | '%CSTP' | '%WAIT') => fmt(mean(vm.perVcpu.map((c) => c[k])), 1);
        return [esc(r.label), esc(vm.name), fmt(vm.progress), fmt(vm.slowdown, 3), m('%RUN'), m('%RDY'), m('%MLMTD'), m('%CSTP'), m('%WAIT'), fmt(r.energyJoules, 4), fmt(r.averageFrequencyHz / 1e6, 0), fmt(r.seconds * 1e3, 2)]
          .map((c, i) => `<td${i >= 2 ? ' class="num"' : ''}>${c}</td>`)
          .join('');
      }),
    );
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.map((b) => `<tr>${b}</tr>`).join('\n')}</tbody></table>`;
};

/** Write DIR/report.html; returns its path. */
export const writeReport = async (dir: string): Promise<string> => {
  const read = readManifest(dir);
  if (isLeft(read)) throw new CliError(read.left);
  const manifest = read.right;
  if (!manifest) throw new CliError(`'${dir}' holds no ringlab experiment (no ${MANIFEST_FILE}); run \`ringlab experiment SPEC --out ${dir}\` first`);
  const all = readResults(dir).sort((a, b) => a.index - b.index);
  if (all.length === 0) throw new CliError(`'${dir}' has no results yet`);
  const rows = runRowsOf(all);
  const hosts = hostRowsOf(all);
  const asked = manifest.spec.output?.charts;
  const names = (asked?.filter((n) => !isHostChart(n)) ?? ['slowdown', 'breakdown']) as ChartName[];
  const charts = [...experimentCharts(rows, names, { x: manifest.spec.output?.sweep, y: manifest.spec.output?.sweepY }), ...hostCharts(hosts, asked?.filter(isHostChart))];
  const { vl } = loadVega();
  const compiled = charts.map((c) => ({ name: c.name, spec: vl.compile(c.spec).spec }));
  const vegaJs = fs.readFileSync(packageFile('vega', 'build/vega.min.js'), 'utf8');
  const divergent = rows.filter((r) => !r.equivalent);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(manifest.experiment)} - ringlab report</title>
<style>
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ddd; padding: 3px 6px; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #b00; font-weight: bold; } .chart { margin: 1em 0 2em; } dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1em; }
dt { font-weight: bold; } code { font-size: 0.9em; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; vertical-align: -0.05em; }
</style>
<script>${vegaJs}</script>
</head>
<body>
<h1>${esc(manifest.experiment)}</h1>
${manifest.spec.description ? `<p>${esc(manifest.spec.description)}</p>` : ''}
<p>${rows.length} runs${hosts.length ? ` and ${hosts.length} host run${hosts.length === 1 ? '' : 's'}` : ''}. ${rows.length ? "Slowdowns compare the measured region of each workload with native on the same workload, parameters, profile and ISA; modelled cycles are counted events times the profile's per-event costs. " : ''}${hosts.length ? "A host run's slowdown is each VM's progress alone on the same idle host over its progress there; its vCPU states are esxtop's." : ''}</p>
<h2>Charts</h2>
${compiled.map((c) => `<div class="chart" id="chart-${c.name}"></div>`).join('\n')}
${rows.length ? `<h2>Results</h2>\n${resultsTable(rows)}` : ''}
${hosts.length ? `<h2>Host runs</h2>\n${hostTable(hosts)}` : ''}
${divergent.length ? `<h2>Not equivalent to native</h2><ul>${divergent.map((r) => `<li>${esc(r.label)} ${esc(r.workload)}: ${esc(r.divergence ?? '')}</li>`).join('')}</ul>` : ''}
<h2>Provenance</h2>
<dl>
<dt>experiment</dt><dd>${esc(manifest.experiment)} (spec ${esc(manifest.specHash)}${manifest.specFile ? `, ${esc(manifest.specFile)}` : ''})</dd>
<dt>commit</dt><dd><code>${esc(manifest.commit)}</code>${manifest.modified ? ' (with uncommitted changes)' : ''}</dd>
<dt>ringlab</dt><dd>${esc(manifest.ringlabVersion)} (results format ${manifest.formatVersion})</dd>
<dt>dependencies</dt><dd>${esc(Object.entries(manifest.dependencies).map(([k, v]) => `${k} ${v ?? 'missing'}`).join(', '))}</dd>
<dt>seed</dt><dd>${manifest.seed}</dd>
<dt>profiles</dt><dd>${Object.entries(manifest.profiles).map(([k, v]) => `${esc(k)} <code>sha256 ${esc(v.sha256 ?? 'unreadable')}</code>`).join('<br>')}</dd>
<dt>host</dt><dd>${esc(`${manifest.host.hostname}: ${manifest.host.cpus} x${manifest.host.cores}, ${manifest.host.platform}, node ${manifest.host.node}`)}</dd>
<dt>started</dt><dd>${esc(manifest.started)}</dd>
</dl>
<details><summary>spec</summary><pre>${esc(JSON.stringify(manifest.spec, null, 2))}</pre></details>
<script>
const charts = ${scriptJson(compiled)};
for (const c of charts) {
  const view = new vega.View(vega.parse(c.spec), { renderer: 'svg', container: '#chart-' + c.name, hover: true });
  view.runAsync().then(() => document.getElementById('chart-' + c.name).dataset.rendered = 'yes');
}
</script>
</body>
</html>
`;
  const file = path.join(dir, 'report.html');
  fs.writeFileSync(file, html);
  return file;
};
