/**
 * A user's own program as a workload: an assembly source (assembled at the user origin,
 * with the shipped workload library on the include path, so `.include "user.s"` works) or a
 * flat binary image built for that origin. It runs on the shipped kernel under the workload
 * ABI of core/guest/README.md; its expected output is whatever it prints natively.
 * @category Guest
 */
import * as E from 'fp-ts/Either';
import * as path from 'path';
import { assembleFile, formatAsmError, type Program } from '../asm';
import { readRegularFile } from '../files/regular-file';
import { GUEST_DIR } from './kernel-image';
import { GuestLayout } from './layout';

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
