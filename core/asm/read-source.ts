/**
 * Reading assembly source files: regular files only, up to a size cap, so that naming a FIFO,
 * a device or a huge file is an error instead of a hang or exhausted memory.
 * @category Assembler
 */
import { readRegularFile } from '../files/regular-file';

/** Largest source file (the main file or an include) read, in bytes. */
export const MAX_SOURCE_SIZE = 16 * 1024 * 1024;

/** Read a source file as UTF-8; throws an Error whose message says why it cannot be read. */
export const readSourceFile = (path: string): string =>
  readRegularFile(path, MAX_SOURCE_SIZE, `the maximum source size of ${MAX_SOURCE_SIZE} bytes`).toString('utf8');
