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
import type { ResultRow } from '../experiment/result-codec';

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

/** The vega browser bundle (the package's exports map hides it, so look in node_modules). */
const vegaBrowserBuild = (): string => {
  for (const base of require.resolve.paths('vega') ?? []) {
    const f = path.join(base, 'vega', 'build', 'vega.min.js');
    if (fs.existsSync(f)) return f;
  }
  throw new Error('vega/build/vega.min.js not found: is the vega package installed?');
};

/** Write DIR/report.html; returns its path. */
export const writeReport = async (dir: string): Promise<string> => {
  const read = readManifest(dir);
  if (isLeft(read)) throw new CliError(read.left);
  const manifest = read.right;
  if (!manifest) throw new CliError(`'${dir}' holds no ringlab experiment (no ${MANIFEST_FILE}); run \`ringlab experiment SPEC --out ${dir}\` first`);
  const rows = readResults(dir).sort((a, b) => a.index - b.index);
  if (rows.length === 0) throw new CliError(`'${dir}' has no results yet`);
  const names = (manifest.spec.output?.charts ?? ['slowdown', 'breakdown']) as ChartName[];
  const charts = experimentCharts(rows, names, { x: manifest.spec.output?.sweep, y: manifest.spec.output?.sweepY });
  const vl = await import('vega-lite');
  const compiled = charts.map((c) => ({ name: c.name, spec: vl.compile(c.spec).spec }));
  const vegaJs = fs.readFileSync(vegaBrowserBuild(), 'utf8');
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
<p>${rows.length} runs. Slowdowns compare the measured region of each workload with native on the same workload, parameters, profile and ISA; modelled cycles are counted events times the profile's per-event costs.</p>
<h2>Charts</h2>
${compiled.map((c) => `<div class="chart" id="chart-${c.name}"></div>`).join('\n')}
<h2>Results</h2>
${resultsTable(rows)}
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
