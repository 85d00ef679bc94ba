'use strict';
/**
 * The package's entry point (package.json `main` and `exports`): ringlab's public API,
 * experiments/api.ts, from the compiled code in dist/ when it was built from the current
 * sources, else from the sources through ts-node with a one-line warning on stderr
 * (tools/launch.js). Its declarations are dist/types/experiments/api.d.ts (`types`).
 *
 *   import { runOne, STRATEGIES } from 'ringlab';
 */
const { loadCommandModule } = require('./tools/launch');

module.exports = loadCommandModule('experiments/api', (line) => process.stderr.write(`${line}\n`));
