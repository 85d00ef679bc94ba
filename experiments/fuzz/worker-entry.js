'use strict';
// Worker-thread entry when the fuzzer runs from the TypeScript sources (tests, a stale
// build): ts-node in the thread, then the worker (piscina calls its fuzzInWorker). Compiled,
// the pool starts worker.js.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
module.exports = require('./worker.ts');
