import { expect } from 'chai';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { assembleFile, formatAsmError, MAX_INCLUDE_DEPTH, MAX_SOURCE_SIZE, readSourceFile } from '../../../core/asm';
import { tmpdir } from '../../experiments/cli/helpers';
import { errors, memoryFiles } from './helpers';

describe('reading assembly sources', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpdir();
  });

  it('reads a regular file', () => {
    fs.writeFileSync(path.join(dir, 'a.s'), 'nop\n');
    expect(readSourceFile(path.join(dir, 'a.s'))).to.equal('nop\n');
  });

  it('refuses a FIFO, a device and a directory as an include, without waiting', function () {
    this.timeout(60_000);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    const main = path.join(dir, 'main.s');
    fs.writeFileSync(main, `.include "fifo"\n.include "/dev/zero"\n.include "${dir}"\nnop\n`);
    // in a child process with a timeout: reading a FIFO would block this one for good
    const bin = path.join(__dirname, '..', '..', '..', 'bin', 'ringlab.js');
    const r = spawnSync(process.execPath, [bin, 'asm', main, '-o', path.join(dir, 'out.bin')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`${main}:1:10: cannot read include file 'fifo': not a regular file (a FIFO)`);
    expect(r.stderr).to.contain(`${main}:2:10: cannot read include file '/dev/zero': not a regular file (a character device)`);
    expect(r.stderr).to.contain(`${main}:3:10: cannot read include file '${dir}': not a regular file (a directory)`);
  });

  it('refuses a main file that is not a regular file', () => {
    const r = assembleFile(dir);
    expect(E.isLeft(r) && r.left.map(formatAsmError)).to.deep.equal([`${dir}: cannot read '${dir}': not a regular file (a directory)`]);
  });

  it('refuses a file larger than the maximum source size', () => {
    const big = path.join(dir, 'big.s');
    fs.writeFileSync(big, Buffer.alloc(MAX_SOURCE_SIZE + 1, 0x20));
    expect(() => readSourceFile(big)).to.throw(`larger than the maximum source size of ${MAX_SOURCE_SIZE} bytes`);
  });

  it('refuses includes nested more deeply than the maximum', () => {
    const files = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}.s`, `.include "f${i + 1}.s"`]));
    expect(errors('.include "f0.s"', { file: 'main.s', readFile: memoryFiles(files) })).to.deep.equal([
      `f${MAX_INCLUDE_DEPTH - 1}.s:1:10: includes nested too deeply (more than ${MAX_INCLUDE_DEPTH} levels)`,
    ]);
  });
});
