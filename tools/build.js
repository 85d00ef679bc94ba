#!/usr/bin/env node
'use strict';
/**
 * `npm run build`, also npm's `prepare` step (which `npm ci` and `npm install` run): compiles
 * the command's TypeScript into dist/ with tsc, copies the assets beside the compiled code,
 * assembles the shipped guest images (core/guest/prebuilt-images.ts) and writes
 * dist/build-info.json, the fingerprint of the inputs (tools/build-inputs.js)
 * that the command checks at start.
 *
 * tsc runs with tsconfig.build.json: file by file and without type checking, the same
 * transpilation ts-node gives the tests (type checking is `npm test`'s first step), which
 * keeps the build at a few seconds. The declarations of the public API (experiments/api.ts,
 * the package's entry point) go to dist/types/ (tsconfig.types.json), also unchecked.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { OUT_DIR, BUILD_INFO, listInputs, isCompiled, isAsset, fingerprint } = require('./build-inputs');

const ROOT = path.join(__dirname, '..');

const fail = (message) => {
  console.error(`ringlab build: ${message}`);
  process.exit(1);
};

const build = () => {
  const t0 = performance.now();
  const out = path.join(ROOT, OUT_DIR);
  const inputs = listInputs(ROOT);
  // Fingerprinted before compiling: a file edited during the build makes it stale, never wrongly current.
  const info = fingerprint(ROOT, inputs);
  fs.rmSync(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
  if (tsc.status !== 0) fail('tsc failed (see above)');
  // the public API's declarations (package.json `types`), also without type checking
  const types = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.types.json'), '--outDir', path.join(out, 'types')], { stdio: 'inherit' });
  if (types.status !== 0) fail('tsc failed on the API declarations (see above)');
  const compiled = inputs.filter(isCompiled);
  const missing = compiled.filter((rel) => !fs.existsSync(path.join(out, rel.replace(/\.ts$/, '.js'))));
  if (missing.length) fail(`tsconfig.build.json did not compile ${missing.join(', ')}: it must include what tools/build-inputs.js lists`);
  const assets = inputs.filter(isAsset);
  for (const rel of assets) {
    fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(out, rel));
  }
  // the shipped guest images, assembled once here by the compiled assembler (core/guest/prebuilt-images.ts)
  const images = spawnSync(process.execPath, ['-e', `const g = ${JSON.stringify(path.join(out, 'core', 'guest'))}; process.stdout.write(String(require(g + '/write-prebuilt-images.js').writePrebuiltImages(require(g + '/prebuilt-images.js').PREBUILT_IMAGES_FILE)))`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (images.status !== 0) fail('assembling the guest images failed (see above)');
  fs.writeFileSync(path.join(out, BUILD_INFO), `${JSON.stringify(info, null, 1)}\n`);
  console.log(`ringlab build: ${compiled.length} modules, ${assets.length} assets and ${images.stdout} guest images into ${OUT_DIR}/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
};

build();
