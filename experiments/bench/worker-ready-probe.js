'use strict';
// Run by the bench as a child process: starts one experiment worker thread the way
// `ringlab experiment` does and prints, as JSON, the milliseconds until the worker reports
// that it is ready for runs (its modules loaded).
const path = require('path');
const { Worker } = require('worker_threads');

const entry = path.join(__dirname, '..', 'experiment', 'worker-entry.js');
const t0 = performance.now();
const worker = new Worker(entry, { workerData: { experiment: 'bench', seed: 1, modules: [] } });
worker.once('message', () => {
  console.log(JSON.stringify({ readyMs: performance.now() - t0 }));
  void worker.terminate();
});
