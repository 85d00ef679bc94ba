'use strict';
/**
 * Where the `ringlab` command's code comes from: the compiled JavaScript in dist/ when it
 * was built from the current sources, else the TypeScript sources through ts-node
 * (transpile-only), with a one-line warning. A stale build is never run: it would be old
 * code. It is not rebuilt on the fly either: the command may run from a read-only
 * install, as many processes at once (a job array on a shared file system), or while the
 * sources do not compile; the sources always run, only more slowly.
 *
 * RINGLAB_SOURCES=1 runs the sources without checking or warning (tests, development).
 * Either way V8's tiering is tuned first (tools/v8-tuning.js).
 */
const fs = require('fs');
const path = require('path');
const { OUT_DIR, BUILD_INFO, changedInputs } = require('./build-inputs');
const { tuneV8 } = require('./v8-tuning');

const ROOT = path.join(__dirname, '..');

/** Why dist/ cannot be run, or null when it was built from the current sources. */
const staleness = () => {
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(path.join(ROOT, OUT_DIR, BUILD_INFO), 'utf8'));
  } catch {
    recorded = null;
  }
  if (typeof recorded?.files !== 'object' || recorded.files === null) return `no finished build in ${OUT_DIR}/`;
  const changed = changedInputs(ROOT, recorded);
  if (changed.length === 0) return null;
  return `${changed[0]}${changed.length > 1 ? ` and ${changed.length - 1} more file(s)` : ''} changed since the last build`;
};

/**
 * Load a module of the command (`rel`: root-relative, without extension) from dist/ or, if
 * dist/ is stale or RINGLAB_SOURCES=1, from the sources; `warn` receives the one-line
 * warning of a stale build.
 */
const loadCommandModule = (rel, warn) => {
  tuneV8();
  if (process.env.RINGLAB_SOURCES !== '1') {
    const why = staleness();
    if (why === null) return require(path.join(ROOT, OUT_DIR, rel));
    warn(`ringlab: warning: ${why}; running the sources through ts-node (slow start; \`npm run build\` restores the fast start)`);
  }
  require('ts-node').register({ transpileOnly: true, project: path.join(ROOT, 'tsconfig.json') });
  return require(path.join(ROOT, rel));
};

module.exports = { loadCommandModule };
