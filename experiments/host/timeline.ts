/**
 * The timeline of a host run, small enough for a chart and a results row: the stretches a
 * vCPU ran on a logical CPU (runHostSpec's onRun), with back-to-back stretches of one world
 * on one logical CPU joined, in modelled milliseconds.
 * @category Experiments
 */
import { PS_PER_SECOND } from '../../core/host/time';
import type { HostRunStretch } from './run-host';

/** One joined stretch: `world` ran on logical CPU `lcpu` from `startMs` to `endMs` (modelled ms). */
export interface TimelineStretch {
  readonly lcpu: number;
  readonly world: string;
  readonly startMs: number;
  readonly endMs: number;
}

const PS_PER_MS = PS_PER_SECOND / 1000;

/** Join back-to-back stretches of the same world on the same logical CPU; sorted by logical CPU, then start. */
export const mergeStretches = (stretches: readonly HostRunStretch[]): TimelineStretch[] => {
  const sorted = [...stretches].sort((a, b) => a.lcpu - b.lcpu || a.startPs - b.startPs);
  const out: { lcpu: number; world: string; startPs: number; endPs: number }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.lcpu === s.lcpu && last.world === s.world && last.endPs === s.startPs) last.endPs = s.endPs;
    else out.push({ ...s });
  }
  return out.map((s) => ({ lcpu: s.lcpu, world: s.world, startMs: s.startPs / PS_PER_MS, endMs: s.endPs / PS_PER_MS }));
};
