/**
 * vega and vega-lite from the single-file bundles their packages ship (`build/vega.min.js`,
 * `build/vega-lite.min.js`), evaluated once per thread as CommonJS. `import('vega')` links
 * about forty ES modules (vega-*, d3-*): 320 ms of every charting command on this machine,
 * against 80 ms for the bundles, which are the same versions and render byte-identical SVGs
 * (test/experiments/charts/vega-bundles.test.ts). Their packages' exports maps hide them, so
 * they are found in node_modules as `require` would find the packages.
 * @category Charts
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';

/** vega's API (the types of its ES module entry). */
export type Vega = typeof import('vega');
/** vega-lite's API (the types of its ES module entry). */
export type VegaLite = typeof import('vega-lite');

/** The path of `file` inside installed package `pkg` (e.g. 'vega', 'build/vega.min.js'). */
export const packageFile = (pkg: string, file: string): string => {
  for (const base of require.resolve.paths(pkg) ?? []) {
    const f = path.join(base, pkg, file);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`${pkg}/${file} not found: is the ${pkg} package installed?`);
};

/** Evaluate a UMD bundle as CommonJS, with `deps` as what it may require; returns its exports. */
const evaluateBundle = (file: string, deps: Record<string, unknown>): unknown => {
  const run = vm.compileFunction(fs.readFileSync(file, 'utf8'), ['exports', 'module', 'require'], { filename: file });
  const module = { exports: {} as unknown };
  run(module.exports, module, (name: string) => {
    if (!(name in deps)) throw new Error(`${path.basename(file)} requires '${name}', which is not given to it`);
    return deps[name];
  });
  return module.exports;
};

let loaded: { readonly vega: Vega; readonly vl: VegaLite } | undefined;

/** vega and vega-lite, loaded from their bundles at the first call in this thread. */
export const loadVega = (): { readonly vega: Vega; readonly vl: VegaLite } => {
  if (loaded === undefined) {
    const vega = evaluateBundle(packageFile('vega', 'build/vega.min.js'), {}) as Vega;
    const vl = evaluateBundle(packageFile('vega-lite', 'build/vega-lite.min.js'), { vega }) as VegaLite;
    loaded = { vega, vl };
  }
  return loaded;
};
