'use strict';
// Run by the bench as a child process: the engine measurements of experiments/bench/engine-runs.ts
// on the code the command runs (dist/ when built from the current sources, else the sources
// through ts-node, with the command's warning), in a process that holds nothing else. Takes
// the job as JSON in argv[2], { "what": "programs", "n", "repeats", "warmups" } or
// { "what": "split", "repeats" }, and prints the result as JSON on stdout.
const { loadCommandModule } = require('../../tools/launch');

const job = JSON.parse(process.argv[2]);
const runs = loadCommandModule('experiments/bench/engine-runs', (line) => process.stderr.write(`${line}\n`));
const result = job.what === 'programs' ? runs.measurePrograms(job.n, job.repeats, job.warmups) : runs.measureSplit(job.repeats);
process.stdout.write(JSON.stringify(result));
