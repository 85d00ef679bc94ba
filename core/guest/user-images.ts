/**
 * A user's own guest images: a program as a workload (an assembly source assembled at the
 * user origin, with the shipped workload library on the include path, so `.include "user.s"`
 * works, or a flat image built for that origin) and a kernel (a source assembled at 0 with
 * the build's defines, the shipped kernel's folder on the include path, or a flat image).
 * They run under the boot protocol and workload ABI of core/guest/README.md; the expected
 * output is whatever native's run prints.
 * @category Guest
 */
import * as E from 'fp-ts/Either';
import * as path from 'path';
import { assembleFile, formatAsmError, type Program } from '../asm';
import { readRegularFile } from '../files/regular-file';
import { GUEST_DIR, kernelDefines, type KernelBuild, type KernelOptions } from './kernel-image';
import { GuestLayout } from './layout';
import { createHash } from 'crypto';

/** Folders searched for a user program's relative includes: the workload library, then the guest sources. */
export const USER_INCLUDE_DIRS: readonly string[] = [path.join(GUEST_DIR, 'lib'), GUEST_DIR];

/** The workload name a user program's results carry: `program:` and the file's base name. */
export const programWorkloadName = (file: string): string => `program:${path.basename(file)}`;

/**
 * Load a user program: `.s` is assembled at 0x00400000 (errors with file:line), anything
 * else is read as a flat image for that origin; a regular file of at most the program area.
 */
export const loadUserProgram = (file: string): E.Either<string, Program> => {
  if (file.endsWith('.s')) {
    const r = assembleFile(file, { origin: GuestLayout.userBase, includeDirs: USER_INCLUDE_DIRS });
    if (E.isLeft(r)) return E.left(`program '${file}' does not assemble:\n${r.left.map(formatAsmError).join('\n')}`);
    if (r.right.bytes.length > GuestLayout.programMax)
      return E.left(`program '${file}' assembles to ${r.right.bytes.length} bytes, more than the program area's ${GuestLayout.programMax}`);
    return E.right(r.right);
  }
  try {
    const bytes = new Uint8Array(readRegularFile(file, GuestLayout.programMax, `the program area's ${GuestLayout.programMax} bytes`));
    return E.right({ origin: GuestLayout.userBase, bytes, symbols: {}, sourceMap: [] });
  } catch (e) {
    return E.left(`cannot read program '${file}': ${(e as Error).message}`);
  }
};

/**
 * Load a user's kernel for `build`: `.s` is assembled at 0 with the build's defines (so a
 * modified copy of kernel/kernel.s gives both builds) and the shipped kernel's folder on the
 * include path; anything else is a flat image loaded at 0, the same for every build. At most
 * the kernel area (below the boot info).
 */
export const loadUserKernel = (file: string, build: KernelBuild, options: KernelOptions = {}): E.Either<string, Program> => {
  let image: Program;
  if (file.endsWith('.s')) {
    const r = assembleFile(file, { defines: kernelDefines(build, options), includeDirs: [path.join(GUEST_DIR, 'kernel'), GUEST_DIR] });
    if (E.isLeft(r)) return E.left(`kernel '${file}' (${build} build) does not assemble:\n${r.left.map(formatAsmError).join('\n')}`);
    if (r.right.origin !== 0) return E.left(`kernel '${file}' must be assembled at origin 0, not 0x${r.right.origin.toString(16)}`);
    image = r.right;
  } else {
    try {
      image = { origin: 0, bytes: new Uint8Array(readRegularFile(file, GuestLayout.bootInfo, `the kernel area's ${GuestLayout.bootInfo} bytes`)), symbols: {}, sourceMap: [] };
    } catch (e) {
      return E.left(`cannot read kernel '${file}': ${(e as Error).message}`);
    }
  }
  if (image.bytes.length > GuestLayout.bootInfo) return E.left(`kernel '${file}' has ${image.bytes.length} bytes, more than the kernel area's ${GuestLayout.bootInfo}`);
  return E.right(image);
};

/** The sha256 of an image's bytes, in hex (results record it; cached baselines are keyed by it). */
export const imageDigest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A digest of a user's file as read now (to key cached baselines by content), or null if it cannot be read. */
export const fileDigest = (file: string): string | null => {
  try {
    return imageDigest(readRegularFile(file, 64 * 1024 * 1024));
  } catch {
    return null;
  }
};
