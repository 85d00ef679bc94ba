/**
 * The result page the kernel writes when process 1 exits, as the runner reads it.
 * @category Guest
 */
import { GuestLayout, type HasMemory } from './layout';

/** What the kernel left in the result page. */
export interface GuestResult {
  /** exit code of process 1 */
  readonly exitCode: number;
  /** processes created (process 1 and every fork) */
  readonly processes: number;
  /** the bytes the workload declared as its result */
  readonly bytes: Uint8Array;
}

/** Read the result page (physical memory; valid after process 1 exited). */
export const readResult = (m: HasMemory): GuestResult => {
  const view = new DataView(m.memory.u8.buffer, GuestLayout.result, 16);
  const length = Math.min(view.getUint32(0, true), GuestLayout.resultMax);
  const start = GuestLayout.result + 16;
  return {
    exitCode: view.getInt32(4, true),
    processes: view.getUint32(8, true),
    bytes: m.memory.u8.slice(start, start + length),
  };
};
