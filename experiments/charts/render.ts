/**
 * Headless rendering of vega-lite specs to SVG (vega's own SVG renderer, no browser).
 * vega and vega-lite are ES modules with top-level await: they are imported dynamically
 * from this CommonJS project (see TOOLCHAIN.md).
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import { vegaTextWidth } from './text-width';

/** Render a vega-lite spec to an SVG string. */
export const renderSvg = async (spec: TopLevelSpec): Promise<string> => {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  // without a canvas vega guesses text widths; give it the font's (vega's documented hook)
  (vega as unknown as { textMetrics: { width: typeof vegaTextWidth } }).textMetrics.width = vegaTextWidth;
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
};
