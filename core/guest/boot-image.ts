/**
 * Boot images: a kernel build and a program written into guest memory with the boot info,
 * as the loader of the boot protocol does (core/guest/README.md).
 * @category Guest
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { formatAsmError, type AsmError, type Program } from '../asm';
import { buildKernel, type KernelBuild, type KernelOptions } from './kernel-image';
import { DEFAULT_BOOT_PARAMS, type BootParams } from './boot-params';
import { BOOT_MAGIC, BootFlags, BootInfo, GUEST_MEMORY_BYTES, GuestLayout, type HasMemory } from './layout';
import { buildWorkload, isWorkloadName, WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from './workloads';

/** A kernel and a program ready to be written into a machine. */
export interface BootImage {
  readonly kernel: Program;
  readonly program: Program;
  /** n, as passed to the program */
  readonly n: number;
  readonly build: KernelBuild;
  /** guest physical memory given in the boot info; undefined = min(GUEST_MEMORY_BYTES, machine memory) */
  readonly memoryBytes?: number;
  /** the boot parameters written into the boot info */
  readonly boot: BootParams;
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
  /** the workload's threads parameter (default 1), passed to the program in r2 */
  threads?: number;
  build: KernelBuild;
  kernel?: KernelOptions;
  memoryBytes?: number;
  /** boot parameters (resolved); default DEFAULT_BOOT_PARAMS */
  boot?: BootParams;
  /** a kernel image to use instead of the shipped kernel's build (a user's kernel) */
  kernelImage?: Program;
}): E.Either<string, BootImage> =>
  pipe(
    o.kernelImage ? E.right(o.kernelImage) : buildKernel(o.build, o.kernel),
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
      const boot = o.boot ?? DEFAULT_BOOT_PARAMS;
      return E.right<string, BootImage>({
        kernel,
        program,
        n,
        build,
        memoryBytes,
        boot,
        loadInto: (m: HasMemory) => {
          const guestMemory = Math.min(memoryBytes ?? GUEST_MEMORY_BYTES, m.memory.size);
          m.memory.load(GuestLayout.kernel, kernel.bytes);
          m.memory.load(GuestLayout.program, program.bytes);
          const info = new DataView(m.memory.u8.buffer, GuestLayout.bootInfo, 36);
          info.setUint32(BootInfo.magic, BOOT_MAGIC, true);
          info.setUint32(BootInfo.programAddress, GuestLayout.program, true);
          info.setUint32(BootInfo.programSize, program.bytes.length, true);
          info.setUint32(BootInfo.param, n >>> 0, true);
          info.setUint32(BootInfo.memorySize, guestMemory, true);
          info.setUint32(BootInfo.flags, (build === 'paravirt' ? BootFlags.paravirt : 0) | (o.kernelImage ? BootFlags.userKernel : 0), true);
          info.setUint32(BootInfo.hz, boot.hz, true);
          info.setUint32(BootInfo.cpus, boot.cpus, true);
          info.setUint32(BootInfo.threads, o.threads ?? 1, true);
        },
      });
    }),
  );

/** A boot image of a workload with parameter n (checked against its bounds). */
export const bootImage = (o: {
  /** a workload name (checked: an unknown one is an error) */
  workload: WorkloadName | (string & {});
  n?: number;
  /** threads, for the parallel workloads (default: the workload's) */
  threads?: number;
  build: KernelBuild;
  kernel?: KernelOptions;
  /** guest physical memory (default GUEST_MEMORY_BYTES, at most the machine's) */
  memoryBytes?: number;
  /** boot parameters (resolved); default DEFAULT_BOOT_PARAMS */
  boot?: BootParams;
  /** a kernel image to use instead of the shipped kernel's build (a user's kernel) */
  kernelImage?: Program;
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
    E.chain((program) => bootProgram({ program, n, threads: o.threads ?? (WORKLOADS[name].params as { threads?: { default: number } }).threads?.default, build: o.build, kernel: o.kernel, memoryBytes: o.memoryBytes, boot: o.boot, kernelImage: o.kernelImage })),
  );
};
