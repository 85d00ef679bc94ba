import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { cycleCauses } from '../../../strategies/cost-model';

const CYCLE_CAUSES = cycleCauses();
import { CAUSE_COLOURS, CHART_BUILDERS, experimentCharts, withoutOption, type ChartName } from '../../../experiments/charts/from-results';
import { categorical, causeColours, causeFamily, configColours } from '../../../experiments/charts/colours';
import { renderSvg } from '../../../experiments/charts/render';
import { textWidth } from '../../../experiments/charts/text-width';
import { executePlanned } from '../../../experiments/experiment/execute';
import type { ResultRow } from '../../../experiments/experiment/result-codec';
import { parseSpec } from '../../../experiments/spec/load';
import { expandMatrix } from '../../../experiments/spec/matrix';

type Json = Record<string, unknown>;

/** Every object in a spec, depth first. */
const nodes = (v: unknown): Json[] => (v && typeof v === 'object' ? [...(Array.isArray(v) ? [] : [v as Json]), ...Object.values(v).flatMap(nodes)] : []);

/** The unit specs (a mark and an encoding) of a chart. */
const units = (spec: unknown): Json[] => nodes(spec).filter((n) => 'mark' in n && 'encoding' in n);

/** A small matrix with every chart kind's ingredients: several strategies and variants, two profiles, a swept parameter, 1 and 2 vCPUs. */
const rows = (): ResultRow[] => {
  const spec = parseSpec(
    JSON.stringify({
      name: 'charts',
      strategies: [
        { name: 'native' },
        { name: 'trap-and-emulate', isa: 'virtualizable' },
        { name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } },
        { name: 'paravirt' },
        { name: 'binary-translation' },
      ],
      workloads: [{ name: 'syscall', params: { n: [10, 20] } }, { name: 'ptemod', params: { n: 10 } }, { name: 'in', params: { n: 10 } }],
      profiles: ['nehalem-2009', 'skylake-2015'],
      vcpus: [1, 2],
    }),
    'charts.json',
  );
  if (isLeft(spec)) throw new Error(spec.left.join('\n'));
  const m = expandMatrix(spec.right);
  if (isLeft(m)) throw new Error(m.left.join('\n'));
  return m.right.runs.map((p) => {
    const out = executePlanned(p, { experiment: 'charts', seed: 1, provenance: { specHash: 'test', commit: 'test', modified: false, ringlabVersion: '0.0.0' } });
    if ('error' in out) throw new Error(out.error);
    return out.row as ResultRow;
  });
};

const ALL: ChartName[] = ['slowdown', 'breakdown', 'exits', 'exitsPerOperation', 'hypercalls', 'translation', 'sweep', 'generations', 'vcpus'];

describe('charts', function () {
  this.timeout(120_000);
  let results: ResultRow[];
  let charts: ReturnType<typeof experimentCharts>;
  before(() => {
    results = rows();
    charts = experimentCharts(results, ALL, { x: 'params.n', y: 'slowdown' });
  });

  it('builds every chart kind from the results', () => {
    expect(charts.map((c) => c.name)).to.deep.equal(ALL);
    expect(Object.keys(CHART_BUILDERS).sort()).to.deep.equal([...ALL].sort());
  });

  it('gives every category of every chart its own colour, and lists every category present', () => {
    for (const c of charts) {
      const values = (nodes(c.spec).find((n) => 'values' in n)!.values as Json[]) ?? [];
      for (const u of units(c.spec)) {
        const color = (u.encoding as Json).color as Json | undefined;
        if (!color) continue;
        const scale = color.scale as { domain: string[]; range: string[] };
        expect(scale.domain.length, `${c.name}: a colour per category`).to.equal(scale.range.length);
        expect(new Set(scale.range).size, `${c.name}: distinct colours`).to.equal(scale.range.length);
        const present = new Set(values.map((v) => String(v[color.field as string])));
        expect(new Set(scale.domain), `${c.name}: every category present is in the scale`).to.deep.equal(present);
      }
    }
  });

  it('titles every axis and the chart, and draws the 1x line on every slowdown axis', () => {
    for (const c of charts) {
      expect(((c.spec as unknown as Json).title as Json).text, c.name).to.be.a('string').and.not.equal('');
      if ('facet' in c.spec) expect(((c.spec as unknown as Json).facet as Json).title, `${c.name} facet`).to.be.a('string');
      for (const u of units(c.spec)) {
        const enc = u.encoding as Record<string, Json>;
        for (const ch of ['x', 'y'] as const)
          if (enc[ch]?.field !== undefined) expect(enc[ch].title, `${c.name} ${ch} axis title`).to.be.a('string').and.not.equal('');
      }
      const slowdownAxis = units(c.spec).some((u) => /slowdown/.test(String(((u.encoding as Record<string, Json>).y ?? {}).title)));
      const rule = units(c.spec).find((u) => (u.mark as Json).type === 'rule');
      if (slowdownAxis) expect((rule?.encoding as Record<string, Json> | undefined)?.y, `${c.name}: rule at 1x`).to.deep.equal({ datum: 1 });
      else expect(rule, c.name).to.equal(undefined);
    }
    expect(charts.filter((c) => units(c.spec).some((u) => (u.mark as Json).type === 'rule')).map((c) => c.name)).to.have.members(['slowdown', 'sweep', 'generations', 'vcpus']);
  });

  it('renders without cut labels and without axes under empty grid cells', async () => {
    const vl = await import('vega-lite');
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      expect(svg, `${c.name}: no label cut to an ellipsis`).to.not.contain('…');
      // a shared axis is drawn in the grid's footer under every column, empty cells too
      const footers = nodes(vl.compile(c.spec).spec).filter((n) => /footer/.test(String(n.name)) && 'axes' in n);
      expect(footers, c.name).to.deep.equal([]);
    }
    const labels = new Set(results.map((r) => `${r.label} @ ${r.profile}`));
    const breakdown = await renderSvg(charts.find((c) => c.name === 'breakdown')!.spec);
    for (const l of labels) expect(breakdown, 'full configuration names on the axis').to.contain(`>${l}<`);
  });

  it('colours a configuration the same in every chart, as shades of its strategy', () => {
    const seen = new Map<string, string>();
    for (const c of charts)
      for (const u of units(c.spec)) {
        const color = (u.encoding as Record<string, Json>).color;
        if (color?.field !== 'config') continue;
        const { domain, range } = color.scale as { domain: string[]; range: string[] };
        domain.forEach((d, i) => {
          if (seen.has(d)) expect(range[i], `${d} in ${c.name}`).to.equal(seen.get(d));
          seen.set(d, range[i]);
        });
      }
    expect(seen.size).to.be.greaterThan(4);
    const m = configColours([
      { config: 'hardware-assisted', strategy: 'hardware-assisted' },
      { config: 'paravirt', strategy: 'paravirt' },
      { config: 'hardware-assisted (paging=nested)', strategy: 'hardware-assisted' },
    ]);
    // grouped by strategy, in registry order, whatever the order met
    expect(m.domain).to.deep.equal(['hardware-assisted', 'hardware-assisted (paging=nested)', 'paravirt']);
    expect(configColours([{ config: 'x', strategy: 'paravirt' }]).range).to.deep.equal([m.range[2]]);
  });

  it('groups cycle causes into families with a colour per cause, for any number of causes', () => {
    expect(new Set(CAUSE_COLOURS.range).size).to.equal(CYCLE_CAUSES.length);
    expect(new Set(CAUSE_COLOURS.domain)).to.deep.equal(new Set(CYCLE_CAUSES));
    expect(causeFamily('TLB flushes')).to.equal(causeFamily('guest instructions'));
    expect(causeFamily('upcalls')).to.equal(causeFamily('hypercalls'));
    expect(causeFamily('TLB flushes')).to.not.equal(causeFamily('upcalls'));
    expect(causeFamily('hidden page faults')).to.equal(causeFamily('shadow updates'));
    const grown = causeColours([...CYCLE_CAUSES, 'nested walks', 'posted interrupts', 'cache misses', 'something new', 'another']);
    expect(new Set(grown.range).size).to.equal(CYCLE_CAUSES.length + 5);
    for (const n of [3, 10, 15, 20, 31]) expect(new Set(categorical(n)).size, `${n} categories`).to.equal(n);
  });

  it('names a sweep line by its configuration less the swept option, wherever the option stands', () => {
    expect(withoutOption('binary-translation (cache=4096, chaining=off)', 'cache')).to.equal('binary-translation (chaining=off)');
    expect(withoutOption('binary-translation (chaining=off, cache=4096)', 'cache')).to.equal('binary-translation (chaining=off)');
    expect(withoutOption('binary-translation (unit=4, cache=4096, chaining=off)', 'cache')).to.equal('binary-translation (unit=4, chaining=off)');
    expect(withoutOption('binary-translation (cache=4096)', 'cache')).to.equal('binary-translation');
    expect(withoutOption('hardware-assisted (paging=nested)', 'cache')).to.equal('hardware-assisted (paging=nested)');
  });

  it('lays text out with the font the PNGs are drawn in', () => {
    // DejaVu Sans: digits are 0.636 em; vega's own guess without a browser is 0.8 em per character
    expect(textWidth('0123456789', 10)).to.be.closeTo(63.6, 0.1);
    expect(textWidth('Wi', 10, true)).to.be.greaterThan(textWidth('Wi', 10));
  });
});
