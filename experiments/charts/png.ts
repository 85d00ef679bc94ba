/**
 * SVG to PNG with resvg (a prebuilt renderer shipped inside its npm package), with system
 * fonts loaded so text renders.
 * @category Charts
 */
import { Resvg } from '@resvg/resvg-js';

/** Rasterise an SVG at `scale` times its size. */
export const svgToPng = (svg: string, scale = 2): Buffer =>
  new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
