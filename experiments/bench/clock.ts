/**
 * The bench's clock: this process's CPU time (user and system) in milliseconds. The machine
 * the bench runs on is often shared, and a wall clock counts the time other processes hold
 * the cores; CPU time counts only this process's work (its compiler and collector threads
 * included, which {@link settle} lets finish before a timed run). A thread's own CPU time
 * would leave those out, but Linux's `/proc/thread-self/schedstat` moves only at scheduler
 * ticks (4 ms here), as long as a JIT run of the bench.
 * @category Bench
 */
export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A word to wait on: nothing ever notifies it, so a wait on it is a sleep. */
const IDLE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Let the process settle before a timed run: sleep 20 ms, so V8's background threads finish
 * compiling what the last run made hot (the clock counts every thread of the process, and a
 * compile job of the last run would otherwise be counted in a short run's CPU time). It does
 * not force a collection: one that frees the last run's machine also drops optimized code
 * that embedded maps only that machine's objects had, and the next run would start
 * unoptimized.
 */
export const settle = (): void => {
  Atomics.wait(IDLE, 0, 0, 20);
};
