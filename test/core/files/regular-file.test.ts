import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { readRegularFile } from '../../../core/files/regular-file';
import { tmpdir } from '../../experiments/cli/helpers';

// A FIFO is covered through the CLI, in a child process (test/core/asm/read-source.test.ts).
describe('reading regular files of bounded size', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpdir();
  });

  it('reads a regular file up to the limit', () => {
    fs.writeFileSync(path.join(dir, 'f'), Buffer.alloc(100_000, 7));
    expect(readRegularFile(path.join(dir, 'f'), 100_000)).to.deep.equal(Buffer.alloc(100_000, 7));
  });

  it('refuses a larger file, a device and a directory, saying which', () => {
    fs.writeFileSync(path.join(dir, 'f'), Buffer.alloc(100_001));
    expect(() => readRegularFile(path.join(dir, 'f'), 100_000)).to.throw('larger than 100000 bytes');
    expect(() => readRegularFile(path.join(dir, 'f'), 100_000, 'the limit')).to.throw('larger than the limit');
    expect(() => readRegularFile('/dev/zero', 100_000)).to.throw('not a regular file (a character device)');
    expect(() => readRegularFile(dir, 100_000)).to.throw('not a regular file (a directory)');
  });
});
