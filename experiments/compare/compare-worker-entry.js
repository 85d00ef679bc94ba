'use strict';
// Worker-thread entry when the comparison runs from the TypeScript sources (tests, a stale
// build): ts-node in the thread, then the worker (piscina calls its runCompared). Compiled,
// the comparison starts compare-worker.js.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
module.exports = require('./compare-worker.ts');
