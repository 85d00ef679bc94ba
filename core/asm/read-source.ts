/**
 * Reading assembly source files: regular files only, up to a size cap, so that naming a FIFO,
 * a device or a huge file is an error instead of a hang or exhausted memory.
 * @category Assembler
 */
import * as fs from 'fs';

/** Largest source file (the main file or an include) read, in bytes. */
export const MAX_SOURCE_SIZE = 16 * 1024 * 1024;

const CHUNK = 64 * 1024;

const kindOf = (s: fs.Stats): string =>
  s.isDirectory() ? 'a directory' : s.isFIFO() ? 'a FIFO' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isSocket() ? 'a socket' : 'not a file';

/** Read a source file as UTF-8; throws an Error whose message says why it cannot be read. */
export const readSourceFile = (path: string): string => {
  // non-blocking: opening a FIFO must not wait for a writer
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error(`not a regular file (${kindOf(stat)})`);
    // read in chunks, not by the size fstat gave: the file may grow, and some report size 0
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const n = fs.readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_SOURCE_SIZE) throw new Error(`larger than the maximum source size of ${MAX_SOURCE_SIZE} bytes`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
};
