/**
 * File helpers for commands: reading that reports a clear error, and writing that never
 * overwrites what the user did not ask to overwrite.
 * @category Common
 */
import * as fs from 'fs';
import { CliError } from './errors';

/** Read a file or fail with a message naming it. */
export const readFileOrFail = (path: string): Buffer => {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(e);
    throw new CliError(`cannot read '${path}': ${why}`);
  }
};

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
