/**
 * Machine settings a run may change (ablations such as the TLB size), checked.
 * @category Runner
 */

/** Machine settings a run may change. */
export interface MachineSettings {
  readonly tlbEntries?: number;
  readonly tlbWays?: number;
  /** block request latency in microseconds */
  readonly diskLatencyUs?: number;
}

/** Problems with machine settings, as messages. */
export const machineSettingsErrors = (m: MachineSettings): string[] => {
  const out: string[] = [];
  const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  const entries = m.tlbEntries ?? 64;
  if (!pow2(entries) || entries > 65536) out.push(`machine.tlbEntries must be a power of two from 1 to 65536, got ${m.tlbEntries}`);
  if (m.tlbWays !== undefined && (!pow2(m.tlbWays) || m.tlbWays > Math.min(64, entries)))
    out.push(`machine.tlbWays must be a power of two from 1 to min(64, tlbEntries), got ${m.tlbWays}`);
  if (m.diskLatencyUs !== undefined && !(Number.isInteger(m.diskLatencyUs) && m.diskLatencyUs >= 1 && m.diskLatencyUs <= 1_000_000))
    out.push(`machine.diskLatencyUs must be an integer from 1 to 1000000 microseconds, got ${m.diskLatencyUs}`);
  return out;
};
