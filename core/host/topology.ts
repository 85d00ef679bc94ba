/**
 * A host's processor topology: sockets x cores per socket x hardware threads per core, and
 * how its logical CPUs are numbered. ESXi numbers the threads of a core next to each other
 * (logical 0 and 1 are core 0: VMware vSphere Resource Management, "Hyperthreading"); Linux
 * commonly numbers the first thread of every core first and the siblings at + cores
 * (logical c and c + cores are core c).
 * @category Host
 */

/** Logical-CPU numbering schemes. */
export const Numbering = { esxi: 'esxi', linux: 'linux' } as const;
/** A logical-CPU numbering scheme. */
export type Numbering = keyof typeof Numbering;

/** The shape of a host's processors. */
export interface TopologySpec {
  readonly sockets: number;
  /** cores per socket */
  readonly cores: number;
  /** hardware threads per core (1: no hyperthreading, 2: hyperthreading) */
  readonly threads: number;
  readonly numbering: Numbering;
}

/** One logical CPU (a hardware thread). */
export interface LogicalCpu {
  /** its number under the numbering scheme */
  readonly id: number;
  readonly socket: number;
  /** the core, numbered 0 .. sockets x cores - 1 across the host */
  readonly core: number;
  /** which thread of its core, 0 .. threads - 1 */
  readonly thread: number;
}

/** A host's logical CPUs and their siblings. */
export interface Topology {
  readonly spec: TopologySpec;
  /** logical CPUs by id */
  readonly lcpus: readonly LogicalCpu[];
  /** number of cores on the host */
  readonly coreCount: number;
  /** the other threads of each logical CPU's core, by id */
  readonly siblings: readonly (readonly number[])[];
}

/** The logical-CPU id of thread `thread` of (host-wide) core `core`, per numbering scheme. */
const LOGICAL_ID: Readonly<Record<Numbering, (core: number, thread: number, s: TopologySpec) => number>> = {
  esxi: (core, thread, s) => core * s.threads + thread,
  linux: (core, thread, s) => thread * s.sockets * s.cores + core,
};

/** The problems of a topology spec (empty when it is usable). */
export const topologyProblems = (s: TopologySpec): string[] => {
  const out: string[] = [];
  const whole = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max) out.push(`${name} must be an integer from 1 to ${max}, got ${v}`);
  };
  whole('sockets', s.sockets, 8);
  whole('cores', s.cores, 64);
  whole('threads', s.threads, 2);
  if (!(s.numbering in Numbering)) out.push(`numbering must be one of ${Object.keys(Numbering).join(', ')}, got ${String(s.numbering)}`);
  return out;
};

/** Build the topology (the spec must have no problems). */
export const topology = (spec: TopologySpec): Topology => {
  const coreCount = spec.sockets * spec.cores;
  const lcpus: LogicalCpu[] = [];
  for (let core = 0; core < coreCount; core++)
    for (let thread = 0; thread < spec.threads; thread++)
      lcpus.push({ id: LOGICAL_ID[spec.numbering](core, thread, spec), socket: Math.floor(core / spec.cores), core, thread });
  lcpus.sort((a, b) => a.id - b.id);
  const siblings = lcpus.map((l) => lcpus.filter((o) => o.core === l.core && o.id !== l.id).map((o) => o.id));
  return { spec, lcpus, coreCount, siblings };
};
