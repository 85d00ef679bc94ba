'use strict';
// A worker thread's entry when the command runs from the TypeScript sources (tests, a stale
// build): ts-node in the thread, then the worker module its data names (piscina calls that
// module's export). Compiled, piscina starts the compiled module itself
// (experiments/common/worker-thread.ts).
const path = require('path');
const { workerData } = require('worker_threads');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
module.exports = require(workerData.tsWorkerModule);
