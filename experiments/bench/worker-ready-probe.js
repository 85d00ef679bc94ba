'use strict';
// Run by the bench as a child process: starts one experiment worker thread the way
// `ringlab experiment` does, from the code the command runs (tools/launch.js), and prints,
// as JSON, the milliseconds until the worker reports that it is ready for runs.
const { Worker } = require('worker_threads');
const { loadCommandModule } = require('../../tools/launch');

const { WORKER_ENTRY } = loadCommandModule('experiments/experiment/pool', (line) => process.stderr.write(`${line}\n`));
const t0 = performance.now();
const worker = new Worker(WORKER_ENTRY, { workerData: { experiment: 'bench', seed: 1, modules: [] } });
worker.once('message', () => {
  console.log(JSON.stringify({ readyMs: performance.now() - t0 }));
  void worker.terminate();
});
