/**
 * The hardware of a host: its topology, hyperthreading model, P-states and power, for one
 * cost profile (every vCPU on the host prices its events with it).
 * @category Host
 */
import type { CostProfile } from '../cost/profile';
import { DEFAULT_HYPERTHREADING, type Hyperthreading } from './hyperthreading';
import { corePower, type CorePower } from './power';
import { hostPowerTable, type HostPowerTable } from './pstates';
import { topology, topologyProblems, type Topology, type TopologySpec } from './topology';

/** What a host's hardware is made of. */
export interface HostHardwareSpec extends TopologySpec {
  readonly profile: CostProfile;
  /** hyperthreading model (default DEFAULT_HYPERTHREADING) */
  readonly hyperthreading?: Hyperthreading;
}

/** A host's hardware. */
export interface HostHardware {
  readonly topology: Topology;
  readonly profile: CostProfile;
  readonly hyperthreading: Hyperthreading;
  readonly power: HostPowerTable;
  readonly corePower: CorePower;
  /** the nominal frequency (P0, the profile's) */
  readonly nominalHz: number;
}

/** Build a host's hardware, or the problems of its spec. */
export const hostHardware = (s: HostHardwareSpec): { ok: true; host: HostHardware } | { ok: false; problems: string[] } => {
  const problems = topologyProblems(s);
  const ht = s.hyperthreading ?? DEFAULT_HYPERTHREADING;
  if (!(ht.fraction > 0 && ht.fraction <= 1)) problems.push(`the hyperthreading fraction must be in (0, 1], got ${ht.fraction}`);
  if (!(ht.charge > 0 && ht.charge <= 1)) problems.push(`the hyperthreading charge must be in (0, 1], got ${ht.charge}`);
  if (problems.length > 0) return { ok: false, problems };
  const power = hostPowerTable(s.profile.name, s.profile.frequencyHz);
  return { ok: true, host: { topology: topology(s), profile: s.profile, hyperthreading: ht, power, corePower: corePower(power), nominalHz: s.profile.frequencyHz } };
};
