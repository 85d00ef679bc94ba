/**
 * How piscina starts a worker thread on one of the command's worker modules: the compiled
 * module when the command runs compiled (from dist/), else the shim beside this file, which
 * registers ts-node in the thread and then loads the module's TypeScript source (named in
 * the thread's data). One shim for every kind of worker (experiment, comparison, fuzzer).
 * @category Common
 */
import * as path from 'path';

/** Whether this code runs from the TypeScript sources (tests, a stale build) rather than dist/. */
const FROM_SOURCES = __filename.endsWith('.ts');

/** The shim a worker thread starts on when running the sources (ts-worker-entry.js). */
const TS_SHIM = path.join(__dirname, 'ts-worker-entry.js');

/** The key of the thread's data that names the TypeScript source for the shim. */
export const TS_WORKER_MODULE = 'tsWorkerModule';

/**
 * piscina's `filename` and `workerData` for a worker thread on `module` (its path without
 * extension) whose own data is `data`.
 */
export const workerThread = <D extends object>(module: string, data: D): { filename: string; workerData: D } =>
  FROM_SOURCES ? { filename: TS_SHIM, workerData: { ...data, [TS_WORKER_MODULE]: `${module}.ts` } } : { filename: `${module}.js`, workerData: data };
