/**
 * P-states (frequency and voltage) and the power model of each shipped profile's host, every
 * figure with its source. P0 is the profile's clock frequency (the cycles of a profile are
 * priced at it); lower states run the same cycles more slowly. Power per SPECpower_ssj2008
 * results of a server of the profile's generation: the server's idle watts, and its busy
 * watts at 100 % load, spread over its cores; a busy core at a lower P-state draws its
 * share of the dynamic power scaled by V^2 f (P = C V^2 f + P_static).
 * @category Host
 */

/** One P-state. */
export interface PState {
  readonly frequencyHz: number;
  readonly volts: number;
}

/** The processors and power of a host of one generation. */
export interface HostPowerTable {
  /** P-states, fastest first; P0's frequency is the profile's */
  readonly pstates: readonly PState[];
  /** watts of the reference server idle (C-states) and fully busy at P0 */
  readonly idleWatts: number;
  readonly busyWatts: number;
  /** cores of the reference server (the watts are spread over them) */
  readonly serverCores: number;
  /** whether the generation's cores have two hardware threads */
  readonly smt: boolean;
  /** where the figures come from */
  readonly source: string;
}

const ps = (ghz: number, volts: number): PState => ({ frequencyHz: Math.round(ghz * 1e9), volts });

/** The table of each shipped profile. */
export const HOST_POWER_TABLES: Readonly<Record<string, HostPowerTable>> = {
  'netburst-2006': {
    pstates: [ps(3.8, 1.325), ps(2.8, 1.2)],
    idleWatts: 105,
    busyWatts: 169,
    serverCores: 2,
    smt: true,
    source:
      'Pentium 4 672: EIST between 19x and 14x 200 MHz (Intel datasheet; voltages an estimate within the 1.2-1.4 V VID range); watts: SPECpower_ssj2008 HP ProLiant ML110 G3, Pentium D 930, 2 cores (power_ssj2008-20110127-00342, via CloudSim PowerModelSpecPowerHpProLiantMl110G3PentiumD930)',
  },
  'k8-2006': {
    pstates: [ps(2.6, 1.35), ps(2.4, 1.3), ps(2.2, 1.25), ps(2.0, 1.2), ps(1.8, 1.15), ps(1.0, 1.1)],
    idleWatts: 160,
    busyWatts: 290,
    serverCores: 4,
    smt: false,
    source:
      "Opteron 2218 (K8 rev F, 2.6 GHz): PowerNow!/Cool'n'Quiet P-states in the K8 pattern of AMD's Power and Thermal Data Sheet (#30430 rev 3.51, BIOS specification tables: intermediate P-states in 200 MHz steps below the maximum, a minimum P-state of 1000 MHz at VID 12h = 1.100 V); P0 at 1.35 V (the part's upper VID) and the intermediate voltages interpolated (an estimate); watts an estimate (no SPECpower table of the part retrieved): a two-socket server, 2 x 95 W TDP, idle about 55 % of busy as in 2007-2008 SPECpower results",
  },
  'barcelona-2008': {
    pstates: [ps(2.3, 1.2), ps(1.8, 1.125), ps(1.4, 1.05), ps(1.15, 1.0)],
    idleWatts: 150,
    busyWatts: 280,
    serverCores: 8,
    smt: false,
    source:
      'Opteron 2356 (Family 10h Barcelona B3, 2.3 GHz): core frequency = 100 MHz x (CpuFid + 10h) / 2^CpuDid (AMD BKDG for Family 10h, #31116, MSRC001_0064-68 P-state registers): P0 2.3 GHz (Fid 07h, Did 0) down to 1.15 GHz (Fid 07h, Did 1), intermediate states 1.8 and 1.4 GHz (Fid 02h Did 0; Fid 0Ch Did 1) and all voltages an estimate; watts an estimate (no SPECpower table of the part retrieved): a two-socket quad-core server, 2 x 95 W TDP (75 W ACP), idle about 55 % of busy',
  },
  'core2-2008': {
    pstates: [ps(3.0, 1.25), ps(2.0, 1.0)],
    idleWatts: 93.7,
    busyWatts: 135,
    serverCores: 2,
    smt: false,
    source:
      'E8400: EIST 9x and 6x 333 MHz (Tom\'s Hardware, "Intel Power Consumption Then and Now"; voltages an estimate in the 0.85-1.3625 V VID range); watts: SPECpower_ssj2008 HP ProLiant ML110 G5, Xeon 3075, 2 cores (power_ssj2008-20110124-00339, via CloudSim)',
  },
  'nehalem-2009': {
    pstates: [ps(2.93, 1.2), ps(2.53, 1.1), ps(2.13, 1.0), ps(1.6, 0.9)],
    idleWatts: 41.6,
    busyWatts: 113,
    serverCores: 4,
    smt: true,
    source:
      'Xeon X5570: multipliers 22, 19, 16, 12 of 133 MHz (voltages an estimate); watts: SPECpower_ssj2008 IBM x3250, Xeon X3470, 4 cores (power_ssj2008-20091104-00213, via CloudSim)',
  },
  'skylake-2015': {
    pstates: [ps(4.0, 1.25), ps(3.2, 1.1), ps(2.4, 0.95), ps(1.6, 0.85), ps(0.8, 0.75)],
    idleWatts: 35,
    busyWatts: 120,
    serverCores: 4,
    smt: true,
    source:
      'i7-6700K: 4.0 GHz base, 0.8 GHz lowest (Intel ARK; intermediate states and voltages an estimate); watts an estimate (no SPECpower table retrieved): 91 W TDP plus a 2015 desktop platform idle of about 30 W',
  },
  modern: {
    pstates: [ps(3.0, 1.1), ps(2.4, 0.95), ps(1.8, 0.85), ps(1.2, 0.75), ps(0.8, 0.7)],
    idleWatts: 60,
    busyWatts: 200,
    serverCores: 16,
    smt: true,
    source:
      'a modern server core at 3.0 GHz down to 0.8 GHz (states and voltages an estimate); watts an estimate (no SPECpower table retrieved): a one-socket 16-core server, idle about 30 % of busy as in 2010s SPECpower results',
  },
};

/** The table of a profile: a shipped one's, or for another profile one P-state at its frequency with the modern power figures. */
export const hostPowerTable = (profileName: string, frequencyHz: number): HostPowerTable => {
  const known = HOST_POWER_TABLES[profileName];
  if (known && known.pstates[0].frequencyHz === frequencyHz) return known;
  const m = HOST_POWER_TABLES.modern;
  return { ...m, pstates: [{ frequencyHz, volts: m.pstates[0].volts }], source: `one P-state at the profile's frequency; watts as modern (${m.source})` };
};
