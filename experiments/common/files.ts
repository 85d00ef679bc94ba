/**
 * File helpers for commands: reading that reports a clear error, and writing that never
 * overwrites what the user did not ask to overwrite.
 * @category Common
 */
import * as fs from 'fs';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { readRegularFile } from '../../core/files/regular-file';
import { CliError } from './errors';

/** Why a file system call failed, in words. */
const reason = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EISDIR'
      ? 'is a directory'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EEXIST'
          ? 'it exists and is not a directory'
          : code === 'ENOTDIR'
            ? 'a part of the path is a file, not a directory'
            : e instanceof Error
              ? e.message
              : String(e);
};

/**
 * Read a regular file of at most `maxBytes` (described as `limit` in the message) or fail
 * with a message naming it.
 */
export const readFileOrFail = (path: string, maxBytes: number, limit?: string): Buffer => {
  const r = readRegular(path, maxBytes, limit);
  if (isLeft(r)) throw new CliError(`cannot read '${path}': ${r.left}`);
  return r.right;
};

/** Read a regular file of at most `maxBytes` (described as `limit`): its bytes, or why not, in words. */
export const readRegular = (path: string, maxBytes: number, limit?: string): Either<string, Buffer> => {
  try {
    return right(readRegularFile(path, maxBytes, limit));
  } catch (e) {
    return left(reason(e));
  }
};

/** Create an output directory and its parents, or fail with a message naming it. */
export const makeOutDir = (dir: string): void => {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create the output directory '${dir}': ${reason(e)}`);
  }
};

/** Whether `path` exists and is not a directory (so it cannot be an output directory). */
export const isNonDirectory = (path: string): boolean => fs.existsSync(path) && !fs.statSync(path).isDirectory();

/** Write a file or fail with a message naming it. */
export const writeFileOrFail = (path: string, data: string | Uint8Array): void => {
  try {
    fs.writeFileSync(path, data);
  } catch (e) {
    throw new CliError(`cannot write '${path}': ${(e as Error).message}`);
  }
};

/** Parse an integer option in `min..max` or fail with a message naming the option and the range. */
export const parseCount = (name: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
  const n = value.trim() === '' ? NaN : Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new CliError(`${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got '${value}'`);
  return n;
};
