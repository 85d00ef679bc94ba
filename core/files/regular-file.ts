/**
 * Reading an input file that must be a regular file of bounded size, so that naming a FIFO,
 * a device or a huge file is an error instead of a hang or exhausted memory.
 * @category Files
 */
import * as fs from 'fs';

const CHUNK = 64 * 1024;

const kindOf = (s: fs.Stats): string =>
  s.isDirectory() ? 'a directory' : s.isFIFO() ? 'a FIFO' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isSocket() ? 'a socket' : 'not a file';

/**
 * Read a regular file of at most `maxBytes`; throws an Error whose message says why it cannot
 * (`not a regular file (a FIFO)`, `larger than ${limit}`, or the system's reason).
 */
export const readRegularFile = (path: string, maxBytes: number, limit = `${maxBytes} bytes`): Buffer => {
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
      if (total > maxBytes) throw new Error(`larger than ${limit}`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks);
  } finally {
    fs.closeSync(fd);
  }
};
