/**
 * The guest kernel as an image: one source, two builds (native, paravirtual) selected by
 * conditional assembly, assembled once per build and options (or prebuilt by the build); and
 * where its code is.
 * @category Guest
 */
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { assembleFile, disassemble, type AsmError, type DisasmLine, type Program } from '../asm';
import { kernelImageKey, prebuiltImage } from './prebuilt-images';

/** Which build of the kernel: bare metal (ring 0) or paravirtual (ring 1, hypercalls). */
export type KernelBuild = 'native' | 'paravirt';

/** Directory of the guest sources. */
export const GUEST_DIR = __dirname;

/** The kernel's main source file. */
export const KERNEL_SOURCE = path.join(GUEST_DIR, 'kernel', 'kernel.s');


/** Options of the kernel build. */
export interface KernelOptions {
  /** paravirtual build: queue page-table updates into batched mmu_update hypercalls (default true) */
  readonly batching?: boolean;
}

const kernelCache = new Map<string, E.Either<AsmError[], Program>>();

/** The assembler defines that select a build: none for native; PARAVIRT and PV_BATCHING (0 or 1) for paravirtual. */
export const kernelDefines = (build: KernelBuild, options: KernelOptions = {}): Record<string, number> =>
  build === 'paravirt' ? { PARAVIRT: 1, PV_BATCHING: (options.batching ?? true) ? 1 : 0 } : {};

/**
 * Assemble the kernel from its source. The native build is `kernel.s` as is; the paravirtual
 * build defines PARAVIRT (and PV_BATCHING = 0 or 1).
 */
export const assembleKernel = (build: KernelBuild, options: KernelOptions = {}): E.Either<AsmError[], Program> =>
  assembleFile(KERNEL_SOURCE, { defines: kernelDefines(build, options) });

/** The kernel (cached per build and options): the build's prebuilt image if there is one, else assembled. */
export const buildKernel = (build: KernelBuild, options: KernelOptions = {}): E.Either<AsmError[], Program> => {
  const key = kernelImageKey(build, options.batching ?? true);
  let r = kernelCache.get(key);
  if (r === undefined) {
    const prebuilt = prebuiltImage(key);
    r = prebuilt !== undefined ? E.right(prebuilt) : assembleKernel(build, options);
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
