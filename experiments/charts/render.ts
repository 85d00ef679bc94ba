/**
 * Headless rendering of vega-lite specs to SVG (vega's own SVG renderer, no browser), with
 * vega and vega-lite from their bundles (vega-bundles.ts).
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import { vegaTextWidth } from './text-width';
import { loadVega } from './vega-bundles';

/** Render a vega-lite spec to an SVG string. */
export const renderSvg = async (spec: TopLevelSpec): Promise<string> => {
  const { vega, vl } = loadVega();
  // without a canvas vega guesses text widths; give it the font's (vega's documented hook)
  (vega as unknown as { textMetrics: { width: typeof vegaTextWidth } }).textMetrics.width = vegaTextWidth;
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
};
