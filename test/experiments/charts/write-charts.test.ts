import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TopLevelSpec } from 'vega-lite';
import { svgToPng, svgToPngAsync } from '../../../experiments/charts/png';
import { writeCharts } from '../../../experiments/charts/write-charts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const bars = (title: string): TopLevelSpec => ({
  title,
  data: { values: [{ x: 'a', y: 1 }, { x: 'b', y: 3 }] },
  mark: 'bar',
  encoding: { x: { field: 'x', type: 'nominal' }, y: { field: 'y', type: 'quantitative' } },
});

describe('writeCharts', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-charts-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes each chart as its spec, an SVG and a PNG (the same image svgToPng makes), into a folder it creates', async () => {
    const charts = [{ name: 'one', spec: bars('one') }, { name: 'two', spec: bars('two') }];
    const out = path.join(dir, 'new', 'charts');
    await writeCharts(out, charts);
    expect(fs.readdirSync(out).sort()).to.deep.equal(['one.png', 'one.svg', 'one.vl.json', 'two.png', 'two.svg', 'two.vl.json']);
    for (const c of charts) {
      expect(JSON.parse(fs.readFileSync(path.join(out, `${c.name}.vl.json`), 'utf8'))).to.deep.equal(bars(c.name));
      const svg = fs.readFileSync(path.join(out, `${c.name}.svg`), 'utf8');
      expect(svg).to.include(`>${c.name}<`);
      const png = fs.readFileSync(path.join(out, `${c.name}.png`));
      expect([...png.subarray(0, 8)]).to.deep.equal(PNG_SIGNATURE);
      expect(png.equals(svgToPng(svg))).to.equal(true);
    }
  });

  it('writes every file through the writer it is given', async () => {
    const written: string[] = [];
    await writeCharts('x', [{ name: 'c', spec: bars('c') }], (file) => written.push(file));
    expect(written.sort()).to.deep.equal([path.join('x', 'c.png'), path.join('x', 'c.svg'), path.join('x', 'c.vl.json')]);
  });

  it('svgToPngAsync rasterises as svgToPng does', async () => {
    const svg = fs.readFileSync(path.join(dir, 'new', 'charts', 'one.svg'), 'utf8');
    expect((await svgToPngAsync(svg)).equals(svgToPng(svg))).to.equal(true);
  });
});
