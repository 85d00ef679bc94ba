/**
 * SVG to PNG with resvg (a prebuilt renderer shipped inside its npm package), with system
 * fonts loaded so text renders.
 * @category Charts
 */
import { renderAsync, Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/** resvg's options for a chart at `scale` times its size. */
const options = (scale: number): ResvgRenderOptions => ({
  fitTo: { mode: 'zoom', value: scale },
  background: 'white',
  font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
});

/** Rasterise an SVG at `scale` times its size. */
export const svgToPng = (svg: string, scale = 2): Buffer => new Resvg(svg, options(scale)).render().asPng();

/** {@link svgToPng} on libuv's thread pool: several charts rasterise at once, beside this thread's work. */
export const svgToPngAsync = async (svg: string, scale = 2): Promise<Buffer> => (await renderAsync(svg, options(scale))).asPng();
