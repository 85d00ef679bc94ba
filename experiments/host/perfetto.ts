/**
 * The Chrome/Perfetto trace of a host run: one track (thread) per logical CPU, a slice per
 * stretch a vCPU ran (`ringlab host --trace`, `ringlab experiment --trace` for host runs).
 * @category Experiments
 */
import type { HostRunStretch } from './run-host';

/** The trace JSON of `stretches` on a host of `lcpus` logical CPUs. */
export const hostTraceJson = (stretches: readonly HostRunStretch[], lcpus: number): string =>
  JSON.stringify({
    traceEvents: [
      { name: 'process_name', ph: 'M', pid: 0, tid: 0, ts: 0, args: { name: 'host' } },
      ...Array.from({ length: lcpus }, (_, i) => ({ name: 'thread_name', ph: 'M', pid: 0, tid: i, ts: 0, args: { name: `PCPU ${i}` } })),
      ...stretches.map((s) => ({ name: s.world, cat: 'run', ph: 'X', pid: 0, tid: s.lcpu, ts: s.startPs / 1e6, dur: (s.endPs - s.startPs) / 1e6 })),
    ],
    displayTimeUnit: 'ms',
  });
