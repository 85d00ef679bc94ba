import { expect } from 'chai';
import * as path from 'path';
import { configColours } from '../../../experiments/charts/colours';
import { CAUSE_COLOURS } from '../../../experiments/charts/from-results';
import { renderSvg } from '../../../experiments/charts/render';
import { breakdownChart, slowdownChart } from '../../../experiments/charts/specs';
import { loadVega, packageFile } from '../../../experiments/charts/vega-bundles';

const configs = [
  { config: 'native', strategy: 'native' },
  { config: 'binary-translation', strategy: 'binary-translation' },
  { config: 'hardware-assisted (nested paging)', strategy: 'hardware-assisted' },
];
const colours = configColours(configs);
const workloads = ['syscall', 'ptemod'];

const slowdown = slowdownChart(
  configs.flatMap((c, i) => workloads.map((w, j) => ({ workload: w, config: c.config, slowdown: 1 + i * 2.5 + j }))),
  { title: 'slowdown', colours },
);
const breakdown = breakdownChart(
  configs.flatMap((c, i) => workloads.flatMap((w, j) => ['guest instructions', 'page walks'].map((cause, k) => ({ workload: w, config: c.config, cause, cycles: 100 * (i + 1) + 10 * j + k })))),
  { title: 'breakdown', causes: CAUSE_COLOURS, configs: colours.domain },
);

describe('vega bundles', function () {
  this.timeout(60_000);

  it('render the same SVG as vega and vega-lite imported as ES modules', async () => {
    const vega = await import('vega');
    const vl = await import('vega-lite');
    for (const spec of [slowdown, breakdown]) {
      // renderSvg's text widths are set on the bundle's vega; the modules' get the same hook
      const bundled = await renderSvg(spec);
      (vega as unknown as { textMetrics: { width: unknown } }).textMetrics.width = (loadVega().vega as unknown as { textMetrics: { width: unknown } }).textMetrics.width;
      const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
      const svg = await view.toSVG();
      view.finalize();
      expect(bundled.length).to.be.greaterThan(1000);
      expect(bundled).to.equal(svg);
    }
  });

  it('load once per thread, the versions the packages declare', () => {
    const { vega, vl } = loadVega();
    expect(loadVega().vega).to.equal(vega);
    expect(vega.version).to.equal((require(packageFile('vega', 'package.json')) as { version: string }).version);
    expect(vl.version).to.equal((require(packageFile('vega-lite', 'package.json')) as { version: string }).version);
  });

  it('finds a package file where require would, and names what is missing', () => {
    expect(path.basename(packageFile('vega-lite', 'build/vega-lite.min.js'))).to.equal('vega-lite.min.js');
    expect(() => packageFile('vega', 'build/no-such-file.js')).to.throw('vega/build/no-such-file.js not found');
  });
});
