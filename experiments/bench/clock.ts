/**
 * The bench's clock: this process's CPU time (user and system) in milliseconds. The machine
 * the bench runs on is often shared, and a wall clock counts the time other processes hold
 * the cores; CPU time counts only this process's work (its compiler and collector threads
 * included, which are idle in a warmed-up loop).
 * @category Bench
 */
export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
