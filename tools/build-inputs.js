'use strict';
/**
 * The build's inputs and their fingerprint, shared by the build (tools/build.js), which
 * records the fingerprint in dist/build-info.json, and by the command's start
 * (tools/launch.js), which checks it.
 *
 * Inputs: the TypeScript sources of core/, strategies/ and experiments/ (the bench's too:
 * its engine measurements run on the built code; test/ runs from the sources), the assets the
 * compiled code reads through __dirname, and the tsconfig files. Assets are copied into
 * dist/ at the same relative place, so every `path.join(__dirname, ...)` in the code finds
 * them from dist/ exactly as from the sources.
 *
 * Checking is cheap: files whose size and mtime match the record are taken as unchanged;
 * only a file whose mtime differs (a checkout, a touch) is hashed and compared.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

/** The build folder, under the root (ignored by git). */
const OUT_DIR = 'dist';

/** The fingerprint the build records in OUT_DIR, written last: a build without it is unfinished. */
const BUILD_INFO = 'build-info.json';

/** Folders holding the code the command runs. */
const CODE_DIRS = ['core', 'strategies', 'experiments'];

/** Top-level files that change what the build emits. */
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'tsconfig.types.json'];

/** Files read at run time through __dirname, copied into dist/ (paths relative to the root, '/'-separated). */
const ASSETS = [/^core\/guest\/.+\.s$/, /^core\/profiles\/[^/]+\.json$/, /^experiments\/spec\.schema\.json$/, /^experiments\/validation\/[^/]+\.json$/];

/** Whether a root-relative path is a TypeScript source the build compiles. */
const isCompiled = (rel) => rel.endsWith('.ts') && !rel.endsWith('.d.ts');

/** Whether a root-relative path is an asset the build copies. */
const isAsset = (rel) => ASSETS.some((re) => re.test(rel));

/** Every input under `root`, as sorted root-relative '/'-separated paths. */
const listInputs = (root) => {
  const found = CONFIG_FILES.filter((f) => fs.existsSync(path.join(root, f)));
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        walk(child);
      } else if (isCompiled(child) || isAsset(child)) found.push(child);
    }
  };
  for (const d of CODE_DIRS) if (fs.existsSync(path.join(root, d))) walk(d);
  return found.sort();
};

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * The fingerprint of `files` (root-relative) under `root`: per file its size, mtime and
 * SHA-256, and one hash over all of them.
 */
const fingerprint = (root, files) => {
  const entries = {};
  const all = crypto.createHash('sha256');
  for (const rel of files) {
    const abs = path.join(root, rel);
    const st = fs.statSync(abs);
    const hash = sha256(abs);
    entries[rel] = { size: st.size, mtimeMs: st.mtimeMs, sha256: hash };
    all.update(`${rel}\0${hash}\n`);
  }
  return { sourceHash: all.digest('hex'), files: entries };
};

/**
 * Inputs under `root` that differ from the `recorded` fingerprint: added, removed or with
 * other contents (sorted; empty when the build is current).
 */
const changedInputs = (root, recorded) => {
  const now = listInputs(root);
  const present = new Set(now);
  const changed = Object.keys(recorded.files).filter((rel) => !present.has(rel));
  for (const rel of now) {
    const r = recorded.files[rel];
    if (r === undefined) {
      changed.push(rel);
      continue;
    }
    const abs = path.join(root, rel);
    const st = fs.statSync(abs);
    if (st.size !== r.size || (st.mtimeMs !== r.mtimeMs && sha256(abs) !== r.sha256)) changed.push(rel);
  }
  return changed.sort();
};

module.exports = { OUT_DIR, BUILD_INFO, listInputs, isCompiled, isAsset, fingerprint, changedInputs };
