/**
 * Which worker thread runs which task. Each worker thread is a V8 isolate that warms up on the
 * code it runs; handed out in order, every strategy's VMM code warmed up in every worker (two
 * workers spent most of a second worker's CPU on warm-up again: nanobench ran slower on two
 * than on one). Here the tasks of one family (a strategy) stay on one worker: the families go,
 * largest first, to the least loaded worker, and a worker that has run all of its own takes
 * the last task of the most loaded one, so none idles while another has a queue.
 * @category Runner
 */

/** Tasks shared out to `workers` queues by family, with stealing when a queue runs dry. */
export class AffinityQueue<T> {
  private readonly queues: T[][];

  /** Queues for `workers` workers; `family` names the group a task belongs to (a strategy). */
  constructor(tasks: readonly T[], workers: number, family: (t: T) => string) {
    const groups = new Map<string, T[]>();
    for (const t of tasks) {
      const f = family(t);
      const g = groups.get(f);
      if (g === undefined) groups.set(f, [t]);
      else g.push(t);
    }
    this.queues = Array.from({ length: Math.max(1, workers) }, () => []);
    // largest family first, to the queue with the fewest tasks (the first such on a tie)
    for (const g of [...groups.values()].sort((a, b) => b.length - a.length)) {
      const least = this.queues.reduce((best, q, i) => (q.length < this.queues[best].length ? i : best), 0);
      this.queues[least].push(...g);
    }
  }

  /** The tasks queued for each worker now (a copy). */
  get pending(): T[][] {
    return this.queues.map((q) => [...q]);
  }

  /** The next task for worker `w`: the head of its own queue, else the tail of the longest other queue; undefined when none is left. */
  next(w: number): T | undefined {
    const own = this.queues[w];
    if (own.length > 0) return own.shift();
    const longest = this.queues.reduce((best, q, i) => (q.length > this.queues[best].length ? i : best), 0);
    return this.queues[longest].pop();
  }
}
