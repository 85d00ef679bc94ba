'use strict';
// Run by the bench as a child process: starts one experiment worker thread the way
// `ringlab experiment` does (a piscina pool of the code the command runs, tools/launch.js),
// and prints, as JSON, the milliseconds until the worker has loaded and answered its first
// task (a run naming no strategy, refused at once without simulating anything).
const { loadCommandModule } = require('../../tools/launch');
const { Piscina } = require('piscina');

const warn = (line) => process.stderr.write(`${line}\n`);
const { EXPERIMENT_WORKER } = loadCommandModule('experiments/experiment/pool', warn);
const { workerThread } = loadCommandModule('experiments/common/worker-thread', warn);
const t0 = performance.now();
const pool = new Piscina({
  ...workerThread(EXPERIMENT_WORKER, { context: { experiment: 'bench', seed: 1, provenance: {} }, modules: [] }),
  name: 'runInWorker',
  minThreads: 1,
  maxThreads: 1,
});
pool
  .run({ kind: 'run', index: 0, key: 'probe', label: 'probe', strategy: '', options: {}, workload: '', params: {}, profile: '', isa: 'default', machine: {}, repetition: 0, boot: {}, costOverrides: {} })
  .then(() => {
    console.log(JSON.stringify({ readyMs: performance.now() - t0 }));
    return pool.destroy();
  })
  .catch((e) => {
    process.stderr.write(`${e && e.message}\n`);
    process.exitCode = 1;
  });
