/**
 * esxtop's metrics from a host run: per world (vCPU) `%USED`, `%RUN`, `%RDY`, `%CSTP`,
 * `%WAIT`, `%IDLE`, `%MLMTD` as percentages of the world's lifetime on the host (until its VM
 * stopped, or the run's end), so `%RUN + %RDY + %CSTP + %WAIT = 100` (Broadcom KB 387750);
 * per logical CPU `%UTIL` (not idle) and `%USED` (charged: scaled by frequency against
 * nominal, and by the hyperthreading charge while the sibling was busy); per core
 * `CORE UTIL` (any thread busy).
 * @category Host
 */
import type { Topology } from '../../core/host/topology';
import type { HostOutcome } from './cosim';
import type { World } from './world';

/** esxtop's per-world percentages. */
export interface VcpuMetrics {
  readonly '%USED': number;
  readonly '%RUN': number;
  readonly '%RDY': number;
  readonly '%CSTP': number;
  readonly '%WAIT': number;
  readonly '%IDLE': number;
  readonly '%MLMTD': number;
}

/** A logical CPU's percentages. */
export interface PcpuMetrics {
  readonly id: number;
  readonly core: number;
  readonly '%UTIL': number;
  readonly '%USED': number;
}

const pct = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : 0);

/** A world's lifetime on the host: the sum of its accounted states. */
export const lifetime = (w: World): number => w.times.run + w.times.ready + w.times.costop + w.times.wait;

/** esxtop's percentages of a world. */
export const vcpuMetrics = (w: World): VcpuMetrics => {
  const life = lifetime(w);
  return {
    '%USED': pct(w.charged, life),
    '%RUN': pct(w.times.run, life),
    '%RDY': pct(w.times.ready, life),
    '%CSTP': pct(w.times.costop, life),
    '%WAIT': pct(w.times.wait, life),
    '%IDLE': pct(w.times.idle, life),
    '%MLMTD': pct(w.times.mlmtd, life),
  };
};

/**
 * esxtop's line for a VM (its group of worlds: vCPUs and helper worlds): each percentage
 * summed over them, so a VM's `%RUN + %RDY + %CSTP + %WAIT` is 100 per world.
 */
export const groupMetrics = (ws: readonly World[]): VcpuMetrics => {
  const each = ws.map(vcpuMetrics);
  const sum = (k: keyof VcpuMetrics) => each.reduce((a, m) => a + m[k], 0);
  return { '%USED': sum('%USED'), '%RUN': sum('%RUN'), '%RDY': sum('%RDY'), '%CSTP': sum('%CSTP'), '%WAIT': sum('%WAIT'), '%IDLE': sum('%IDLE'), '%MLMTD': sum('%MLMTD') };
};

/** Per logical CPU `%UTIL` and `%USED` over the run. */
export const pcpuMetrics = (o: HostOutcome, t: Topology): PcpuMetrics[] =>
  t.lcpus.map((l) => ({ id: l.id, core: l.core, '%UTIL': pct(o.lcpus[l.id].busyPs, o.endPs), '%USED': pct(o.lcpus[l.id].chargedPs, o.endPs) }));

/** Per core `CORE UTIL` (a thread busy) over the run. */
export const coreUtil = (o: HostOutcome): number[] => o.coreBusyPs.map((b) => pct(b, o.endPs));
