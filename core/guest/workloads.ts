/**
 * The workloads: what each one is, its parameter, the exact output and result a correct run
 * gives, and its program image (assembled once at the user origin).
 * @category Guest
 */
import * as E from 'fp-ts/Either';
import { assembleFile, type AsmError, type Program } from '../asm';
import { GUEST_DIR } from './kernel-image';
import { GuestLayout } from './layout';
import { prebuiltImage, workloadImageKey } from './prebuilt-images';
import { compileChecksum, computeChecksum, ioChecksum, pcomputeChecksum, pioChecksum } from './reference-results';
import * as path from 'path';

/** Source file of a workload. */
export const workloadSource = (name: string): string => path.join(GUEST_DIR, 'workloads', `${name}.s`);

/** Kind of workload: a nanobenchmark of one mechanism, or a macro workload. */
export type WorkloadKind = 'nano' | 'macro' | 'parallel';

/** Bounds and default of a workload's parameter n. */
export interface ParamSpec {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** What a workload is and what it must print. */
export interface WorkloadInfo {
  readonly description: string;
  readonly kind: WorkloadKind;
  /** n, and for the parallel workloads the threads (or processes) they run */
  readonly params: { readonly n: ParamSpec; readonly threads?: ParamSpec };
  /** the exact console output of a correct run with parameters n and threads */
  readonly expected: (n: number, threads?: number) => string;
  /** the exact result bytes of a correct run with parameters n and threads */
  readonly expectedResult: (n: number, threads?: number) => Uint8Array;
  /**
   * the number of system calls (SYSENTER or int 0x80) a correct run makes, all processes
   * together (null: it depends on the interleaving, as yields of a spin-then-yield lock do)
   */
  readonly syscalls: (n: number, threads?: number) => number | null;
  /**
   * guest instructions per unit of n, about twice what a correct run retires under any
   * strategy: with the boot's, a bound that lets large n pass the default instruction budget
   * (experiments/run/run-one.ts) while a guest that never stops still ends
   */
  readonly instructionsPerUnit: number;
}

/** The threads parameter of the parallel workloads. */
const THREADS: ParamSpec = { default: 2, min: 1, max: 8 };

const sumLow7 = (n: number): number => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i & 0x7f;
  return sum;
};


const hex8 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** The result bytes of every workload: two little-endian words {n, value}. */
const pair = (n: number, value: number): Uint8Array => {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, n >>> 0, true);
  v.setUint32(4, value >>> 0, true);
  return b;
};

const nano = (
  description: string,
  line: (n: number) => string,
  syscalls: (n: number) => number,
  value: (n: number) => number = (n) => n,
  max = 1_000_000,
): WorkloadInfo => ({
  description,
  kind: 'nano',
  params: { n: { default: 10_000, min: 0, max } },
  expected: (n) => `${line(n)} ok\n`,
  expectedResult: (n) => pair(n, value(n)),
  syscalls,
  // the costliest nanobenchmark step (a system call) retires about 110 instructions
  instructionsPerUnit: 300,
});

// System calls besides the measured loop's: mark x2, write, result, exit (5), plus the
// kbench call or the sbrk (6).

/** The workloads by name. */
export const WORKLOADS = {
  syscall: nano('n null system calls (getpid)', (n) => `syscall: ${n} getpid calls`, (n) => n + 5),
  in: nano('n reads of an I/O port in kernel mode (kbench 1)', (n) => `in: ${n} port reads`, () => 6),
  cr8wr: nano('n writes of the task-priority register cr8 in kernel mode (kbench 2)', (n) => `cr8wr: ${n} cr8 writes`, () => 6),
  callret: nano('n call/ret pairs in kernel mode (kbench 3)', (n) => `callret: ${n} call/ret pairs`, () => 6),
  ptemod: nano('n kernel page-table-entry updates, each with invlpg (kbench 4)', (n) => `ptemod: ${n} pte updates`, () => 6),
  pgfault: {
    ...nano('grow the heap by n pages and touch each once: n demand-zero page faults', (n) => `pgfault: ${n} page faults`, () => 6, (n) => (n * (n + 1)) / 2),
    params: { n: { default: 500, min: 0, max: 512 } },
    instructionsPerUnit: 4_000,
  },
  divzero: nano('n user divisions by zero, each counted and skipped by the kernel', (n) => `divzero: ${n} divide errors`, () => 5),
  forkwait: {
    description: 'n times: fork, the child exits at once with code i & 0x7f, the parent waits and checks it',
    kind: 'macro',
    params: { n: { default: 100, min: 0, max: 10_000 } },
    expected: (n) => `forkwait: ${n} forks ok\n`,
    expectedResult: (n) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += i & 0x7f;
      return pair(n, sum);
    },
    // per fork: fork and wait in the parent, exit in the child; then a last wait
    syscalls: (n) => 3 * n + 6,
    instructionsPerUnit: 60_000,
  },
  compute: {
    description: 'CPU-bound: n rounds of a sieve and an FNV/xorshift hash; result = the hash',
    kind: 'macro',
    params: { n: { default: 50, min: 0, max: 10_000_000 } },
    expected: (n) => `compute: ${n} rounds, checksum ${hex8(computeChecksum(n))} ok\n`,
    expectedResult: (n) => pair(n, computeChecksum(n)),
    syscalls: () => 5,
    // a round retires 25,000-35,000 instructions (the sieve's limit grows with the round)
    instructionsPerUnit: 60_000,
  },
  compile: {
    description: 'a compile-like mix per iteration: hashing, 3 system calls, a new heap page, a sector written and read back',
    kind: 'macro',
    params: { n: { default: 50, min: 0, max: 500 } },
    expected: (n) => `compile: ${n} iterations, checksum ${hex8(compileChecksum(n))} ok\n`,
    expectedResult: (n) => pair(n, compileChecksum(n)),
    // per iteration: getpid, getparam, yield, sbrk, disk_write, disk_read
    syscalls: (n) => 6 * n + 5,
    instructionsPerUnit: 30_000,
  },
  io: {
    description: 'n disk sectors written, then read back and verified',
    kind: 'macro',
    params: { n: { default: 64, min: 0, max: 256 } },
    expected: (n) => `io: ${n} sectors written and read back ok\n`,
    expectedResult: (n) => pair(n, ioChecksum(n)),
    syscalls: (n) => 2 * n + 5,
    instructionsPerUnit: 12_000,
  },
  ctxswitch: {
    description: 'fork; parent and child each yield n times; the parent waits',
    kind: 'macro',
    params: { n: { default: 500, min: 0, max: 1_000_000 } },
    expected: (n) => `ctxswitch: 2 processes x ${n} yields ok\n`,
    expectedResult: (n) => pair(n, 2),
    // n yields in each process; fork, wait, mark x2, write, result, exit in the parent; exit in the child
    syscalls: (n) => 2 * n + 8,
    instructionsPerUnit: 1_500,
  },
  pcompute: {
    description: 'parallel compute: threads hash their share of n items, meet at a barrier, and each adds up all the partial sums',
    kind: 'parallel',
    params: { n: { default: 2000, min: 0, max: 1_000_000 }, threads: THREADS },
    expected: (n) => `pcompute: ${n} items, checksum ${hex8(pcomputeChecksum(n))} ok\n`,
    expectedResult: (n) => pair(n, pcomputeChecksum(n)),
    syscalls: () => null,
    // an item: 16 xorshift rounds (~120 instructions), with barrier spins and the thread start-ups spread over n
    instructionsPerUnit: 2_000,
  },
  spinlock: {
    description: 'a contended spinlock: threads each take one lock n times to increment a shared counter',
    kind: 'parallel',
    params: { n: { default: 500, min: 0, max: 1_000_000 }, threads: THREADS },
    expected: (n, threads = THREADS.default) => `spinlock: ${threads} threads x ${n} increments, counter ${threads * n} ok\n`,
    expectedResult: (n, threads = THREADS.default) => pair(n, threads * n),
    syscalls: () => null,
    // a round of up to 8 threads, each spinning up to SPIN_LIMIT PAUSEs before it yields
    instructionsPerUnit: 100_000,
  },
  shootdown: {
    description: 'TLB shootdowns: one thread maps, writes and unmaps a heap page n times while the other threads run',
    kind: 'parallel',
    params: { n: { default: 100, min: 0, max: 100_000 }, threads: THREADS },
    expected: (n, threads = THREADS.default) => `shootdown: ${n} remaps with ${threads} threads ok\n`,
    expectedResult: (n) => pair(n, n),
    syscalls: () => null,
    // a remap (two sbrk, a fault, the shootdown and its wait) while up to 7 threads spin
    instructionsPerUnit: 400_000,
  },
  ipi: {
    description: 'IPI ping-pong: n requests from the kernel to the next CPU, each answered before the next (kbench 5)',
    kind: 'parallel',
    params: { n: { default: 200, min: 0, max: 1_000_000 }, threads: { default: 1, min: 1, max: 1 } },
    expected: (n) => `ipi: ${n} round trips ok\n`,
    expectedResult: (n) => pair(n, n),
    syscalls: () => 6,
    // a round trip: the sender's wait while the target takes the IPI, with every other CPU idling
    instructionsPerUnit: 50_000,
  },
  pforkwait: {
    description: 'parallel fork/wait: threads processes each fork and wait for a child n times',
    kind: 'parallel',
    params: { n: { default: 20, min: 0, max: 10_000 }, threads: THREADS },
    expected: (n, threads = THREADS.default) => `pforkwait: ${threads} x ${n} forks ok\n`,
    expectedResult: (n, threads = THREADS.default) => pair(n, threads * sumLow7(n)),
    syscalls: (n, threads = THREADS.default) => threads * (3 * n + 1) + 2 * threads + 5,
    // up to 8 processes, each a fork, an exit and a wait (forkwait: 60,000)
    instructionsPerUnit: 500_000,
  },
  pio: {
    description: 'parallel compute beside disk I/O: threads each run n iterations of hashing 8,192 items, then writing a sector and reading it back',
    kind: 'parallel',
    params: { n: { default: 4, min: 0, max: 1023 }, threads: { ...THREADS, default: 3 } },
    expected: (n, threads = 3) => `pio: ${n} iterations, checksum ${hex8(pioChecksum(n, threads))} ok\n`,
    expectedResult: (n, threads = 3) => pair(n, pioChecksum(n, threads)),
    syscalls: () => null,
    // an iteration of each of up to 8 threads: 8,192 items of ~100 instructions, a sector filled and verified, two disk requests
    instructionsPerUnit: 16_000_000,
  },
} as const satisfies Record<string, WorkloadInfo>;

/** Name of a workload. */
export type WorkloadName = keyof typeof WORKLOADS;

/** All workload names. */
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/** Whether a string names a workload. */
export const isWorkloadName = (s: string): s is WorkloadName => Object.hasOwn(WORKLOADS, s);

const workloadCache = new Map<string, E.Either<AsmError[], Program>>();

/** Assemble a workload from its source at the user origin 0x00400000. */
export const assembleWorkload = (name: WorkloadName): E.Either<AsmError[], Program> => assembleFile(workloadSource(name), { origin: GuestLayout.userBase });

/** A workload's image (cached): the build's prebuilt image if there is one, else assembled. */
export const buildWorkload = (name: WorkloadName): E.Either<AsmError[], Program> => {
  let r = workloadCache.get(name);
  if (r === undefined) {
    const prebuilt = prebuiltImage(workloadImageKey(name));
    r = prebuilt !== undefined ? E.right(prebuilt) : assembleWorkload(name);
    workloadCache.set(name, r);
  }
  return r;
};
