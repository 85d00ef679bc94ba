/**
 * The guest kernel and its workloads as loadable images: assembling them (cached), what
 * each workload prints, and the boot protocol (where the loader puts the kernel, the
 * program and the boot info, and where the kernel leaves its result). The ABI is written
 * down in core/guest/README.md.
 * @category Guest
 */
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { assembleFile, disassemble, formatAsmError, type AsmError, type DisasmLine, type Program } from '../asm';
import type { PhysicalMemory } from '../mmu/memory';

/** Anything with guest-physical memory: a platform, or one of its CPUs. */
export interface HasMemory {
  readonly memory: PhysicalMemory;
}

/** Which build of the kernel: bare metal (ring 0) or paravirtual (ring 1, hypercalls). */
export type Build = 'native' | 'paravirt';

/** Physical memory map and boot protocol constants (mirrors kernel/layout.s). */
export const GuestLayout = {
  /** the kernel image: reset pc = 0 */
  kernel: 0x00000000,
  /** the boot info page written by the loader */
  bootInfo: 0x00100000,
  /** the result page written by the kernel */
  result: 0x00101000,
  /** where the loader puts the program image */
  program: 0x00200000,
  /** largest program image */
  programMax: 0x00100000,
  /** the program's virtual address (its assembly origin and entry point) */
  userBase: 0x00400000,
  /** top of the user stack */
  stackTop: 0x00800000,
  /** the paravirtual shared-info page (guest physical = kernel virtual) */
  sharedInfo: 0x003ff000,
  /** the kernel's direct map of all physical memory */
  physOffset: 0xc0000000,
  /** most result bytes */
  resultMax: 4000,
} as const;

/**
 * Physical memory the guest is told it has (boot info), unless a boot image says otherwise.
 * A machine may be larger (a VMM's own memory above the guest's); the guest never touches
 * memory beyond what the boot info gives it.
 */
export const GUEST_MEMORY_BYTES = 8 * 1024 * 1024;

/** Boot info: magic value at offset 0 ('RING'). */
export const BOOT_MAGIC = 0x52494e47;

/** Boot info field offsets. */
export const BootInfo = { magic: 0, programAddress: 4, programSize: 8, param: 12, memorySize: 16, flags: 20 } as const;

/** Boot info flags. */
export const BootFlags = { paravirt: 1 } as const;

/** Exit codes the kernel gives besides the workloads' own. */
export const GuestExit = { ok: 0, selfCheckFailed: 1, killed: 139, panic: 255 } as const;

/** Directory of the guest sources. */
export const GUEST_DIR = __dirname;

/** The kernel's main source file. */
export const KERNEL_SOURCE = path.join(GUEST_DIR, 'kernel', 'kernel.s');

/** Source file of a workload. */
export const workloadSource = (name: string): string => path.join(GUEST_DIR, 'workloads', `${name}.s`);

/** Options of the kernel build. */
export interface KernelOptions {
  /** paravirtual build: queue page-table updates into batched mmu_update hypercalls (default true) */
  readonly batching?: boolean;
}

const kernelCache = new Map<string, E.Either<AsmError[], Program>>();

/**
 * Assemble the kernel (cached per build and options). The native build is `kernel.s` as is;
 * the paravirtual build defines PARAVIRT (and PV_BATCHING = 0 or 1).
 */
export const buildKernel = (build: Build, options: KernelOptions = {}): E.Either<AsmError[], Program> => {
  const batching = options.batching ?? true;
  const key = `${build}/${batching}`;
  let r = kernelCache.get(key);
  if (r === undefined) {
    const defines: Record<string, number> = build === 'paravirt' ? { PARAVIRT: 1, PV_BATCHING: batching ? 1 : 0 } : {};
    r = assembleFile(KERNEL_SOURCE, { defines });
    kernelCache.set(key, r);
  }
  return r;
};

/** Address range [start, end) of the kernel's code: everything before `kernel_code_end`. */
export const kernelCodeRange = (kernel: Program): { start: number; end: number } => {
  const end = kernel.symbols.kernel_code_end;
  if (end === undefined) throw new Error('internal error: the kernel has no kernel_code_end label');
  return { start: kernel.origin, end };
};

/** Disassembly of the kernel's code region (no data is interleaved, so it is exact). */
export const kernelCode = (kernel: Program): DisasmLine[] => {
  const { start, end } = kernelCodeRange(kernel);
  return disassemble(kernel.bytes.subarray(0, end - start), start);
};

/** Kind of workload: a nanobenchmark of one mechanism, or a macro workload. */
export type WorkloadKind = 'nano' | 'macro';

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
  readonly params: { readonly n: ParamSpec };
  /** the exact console output of a correct run with parameter n */
  readonly expected: (n: number) => string;
  /** the exact result bytes of a correct run with parameter n */
  readonly expectedResult: (n: number) => Uint8Array;
  /** the number of system calls (int 0x80) a correct run makes, all processes together */
  readonly syscalls: (n: number) => number;
}

// ---- reference implementations of the workloads' computations (lib/hash.s) ------------
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;
const fnvMix = (h: number, v: number): number => Math.imul(h ^ v, FNV_PRIME);
const xorshift32 = (s: number): number => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return s | 0;
};
const mixSteps = (h: number, s: number, steps: number): [number, number] => {
  for (let i = 0; i < steps; i++) {
    s = xorshift32(s);
    h = fnvMix(h, s & 0xffff);
  }
  return [h, s];
};
const primesBelow = (limit: number): number => {
  const a = new Uint8Array(limit).fill(1);
  let count = 0;
  for (let p = 2; p < limit; p++) {
    if (!a[p]) continue;
    count++;
    for (let m = p * p; m < limit; m += p) a[m] = 0;
  }
  return count;
};

/** The checksum of `compute` with parameter n. */
export const computeChecksum = (n: number): number => {
  let h = FNV_OFFSET;
  let s = 0x12345678;
  for (let r = 0; r < n; r++) {
    h = fnvMix(h, primesBelow(1000 + 4 * (r & 255)));
    [h, s] = mixSteps(h, s, 64);
  }
  return h >>> 0;
};

/** The checksum of `compile` with parameter n. */
export const compileChecksum = (n: number): number => {
  let h = FNV_OFFSET;
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    [h, s] = mixSteps(h, s, 256);
    s ^= (h + 508) | 0;
  }
  return h >>> 0;
};

/** The sum of the words `io` reads back with parameter n. */
export const ioChecksum = (n: number): number => {
  let sum = 0;
  for (let sector = 0; sector < n; sector++)
    for (let j = 0; j < 128; j++) sum = (sum + (((sector << 16) ^ j ^ 0x5a5a0000) >>> 0)) >>> 0;
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
  },
  compute: {
    description: 'CPU-bound: n rounds of a sieve and an FNV/xorshift hash; result = the hash',
    kind: 'macro',
    params: { n: { default: 50, min: 0, max: 100_000 } },
    expected: (n) => `compute: ${n} rounds, checksum ${hex8(computeChecksum(n))} ok\n`,
    expectedResult: (n) => pair(n, computeChecksum(n)),
    syscalls: () => 5,
  },
  compile: {
    description: 'a compile-like mix per iteration: hashing, 3 system calls, a new heap page, a sector written and read back',
    kind: 'macro',
    params: { n: { default: 50, min: 0, max: 500 } },
    expected: (n) => `compile: ${n} iterations, checksum ${hex8(compileChecksum(n))} ok\n`,
    expectedResult: (n) => pair(n, compileChecksum(n)),
    // per iteration: getpid, getparam, yield, sbrk, disk_write, disk_read
    syscalls: (n) => 6 * n + 5,
  },
  io: {
    description: 'n disk sectors written, then read back and verified',
    kind: 'macro',
    params: { n: { default: 64, min: 0, max: 256 } },
    expected: (n) => `io: ${n} sectors written and read back ok\n`,
    expectedResult: (n) => pair(n, ioChecksum(n)),
    syscalls: (n) => 2 * n + 5,
  },
  ctxswitch: {
    description: 'fork; parent and child each yield n times; the parent waits',
    kind: 'macro',
    params: { n: { default: 500, min: 0, max: 1_000_000 } },
    expected: (n) => `ctxswitch: 2 processes x ${n} yields ok\n`,
    expectedResult: (n) => pair(n, 2),
    // n yields in each process; fork, wait, mark x2, write, result, exit in the parent; exit in the child
    syscalls: (n) => 2 * n + 8,
  },
} as const satisfies Record<string, WorkloadInfo>;

/** Name of a workload. */
export type WorkloadName = keyof typeof WORKLOADS;

/** All workload names. */
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/** Whether a string names a workload. */
export const isWorkloadName = (s: string): s is WorkloadName => Object.hasOwn(WORKLOADS, s);

const workloadCache = new Map<string, E.Either<AsmError[], Program>>();

/** Assemble a workload (cached) at the user origin 0x00400000. */
export const buildWorkload = (name: WorkloadName): E.Either<AsmError[], Program> => {
  let r = workloadCache.get(name);
  if (r === undefined) {
    r = assembleFile(workloadSource(name), { origin: GuestLayout.userBase });
    workloadCache.set(name, r);
  }
  return r;
};

/** A kernel and a program ready to be written into a machine. */
export interface BootImage {
  readonly kernel: Program;
  readonly program: Program;
  /** n, as passed to the program */
  readonly n: number;
  readonly build: Build;
  /** guest physical memory given in the boot info; undefined = min(GUEST_MEMORY_BYTES, machine memory) */
  readonly memoryBytes?: number;
  /**
   * Write the kernel at 0, the program at 0x00200000 and the boot info into a fresh machine.
   * The guest gets `memoryBytes` of it (see above; at most the machine's memory).
   */
  loadInto(m: HasMemory): void;
}

const asmErrors = (what: string) => (errors: AsmError[]): string =>
  `${what} does not assemble:\n${errors.map(formatAsmError).join('\n')}`;

/**
 * A boot image for any user program (assembled at origin 0x00400000): the lower-level form
 * of {@link bootImage}, for test programs.
 */
export const bootProgram = (o: {
  program: Program;
  n: number;
  build: Build;
  kernel?: KernelOptions;
  memoryBytes?: number;
}): E.Either<string, BootImage> =>
  pipe(
    buildKernel(o.build, o.kernel),
    E.mapLeft(asmErrors(`the ${o.build} kernel`)),
    E.chain((kernel) => {
      if (o.program.origin !== GuestLayout.userBase)
        return E.left(`the program must be assembled at origin 0x${GuestLayout.userBase.toString(16)}, not 0x${o.program.origin.toString(16)}`);
      if (o.program.bytes.length > GuestLayout.programMax)
        return E.left(`the program image has ${o.program.bytes.length} bytes, more than ${GuestLayout.programMax}`);
      if (kernel.bytes.length > GuestLayout.bootInfo)
        return E.left(`internal error: the kernel image has ${kernel.bytes.length} bytes`);
      if (o.memoryBytes !== undefined && (!Number.isInteger(o.memoryBytes) || o.memoryBytes % 4096 !== 0 || o.memoryBytes < 0x00500000))
        return E.left(`guest memory must be a multiple of 4096 bytes and at least 5 MiB, got ${o.memoryBytes}`);
      const program = o.program;
      const { n, build, memoryBytes } = o;
      return E.right<string, BootImage>({
        kernel,
        program,
        n,
        build,
        memoryBytes,
        loadInto: (m: HasMemory) => {
          const guestMemory = Math.min(memoryBytes ?? GUEST_MEMORY_BYTES, m.memory.size);
          m.memory.load(GuestLayout.kernel, kernel.bytes);
          m.memory.load(GuestLayout.program, program.bytes);
          const info = new DataView(m.memory.u8.buffer, GuestLayout.bootInfo, 24);
          info.setUint32(BootInfo.magic, BOOT_MAGIC, true);
          info.setUint32(BootInfo.programAddress, GuestLayout.program, true);
          info.setUint32(BootInfo.programSize, program.bytes.length, true);
          info.setUint32(BootInfo.param, n >>> 0, true);
          info.setUint32(BootInfo.memorySize, guestMemory, true);
          info.setUint32(BootInfo.flags, build === 'paravirt' ? BootFlags.paravirt : 0, true);
        },
      });
    }),
  );

/** A boot image of a workload with parameter n (checked against its bounds). */
export const bootImage = (o: {
  /** a workload name (checked: an unknown one is an error) */
  workload: WorkloadName | (string & {});
  n?: number;
  build: Build;
  kernel?: KernelOptions;
  /** guest physical memory (default GUEST_MEMORY_BYTES, at most the machine's) */
  memoryBytes?: number;
}): E.Either<string, BootImage> => {
  if (!isWorkloadName(o.workload)) return E.left(`unknown workload '${String(o.workload)}' (known: ${WORKLOAD_NAMES.join(', ')})`);
  const name = o.workload;
  const spec = WORKLOADS[name].params.n;
  const n = o.n ?? spec.default;
  if (!Number.isInteger(n) || n < spec.min || n > spec.max)
    return E.left(`workload '${name}': n must be an integer from ${spec.min} to ${spec.max}, got ${n}`);
  return pipe(
    buildWorkload(name),
    E.mapLeft(asmErrors(`workload '${name}'`)),
    E.chain((program) => bootProgram({ program, n, build: o.build, kernel: o.kernel, memoryBytes: o.memoryBytes })),
  );
};

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
