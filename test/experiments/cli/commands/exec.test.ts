import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from '../helpers';

describe('CLI: exec options', () => {
  it('refuses a --memory outside 4096..2^32 with the valid range, not an internal error', async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'p.s'), 'hlt\n');
    const bin = path.join(dir, 'p.bin');
    expect((await cli('asm', path.join(dir, 'p.s'), '-o', bin)).code).to.equal(0);
    for (const memory of ['8589934592', '4294971392', '0']) {
      const r = await cli('exec', bin, '--memory', memory);
      expect(r.code, memory).to.equal(2);
      expect(r.err, memory).to.equal(`ringlab: --memory must be an integer from 4096 to 4294967296, got '${memory}'\n`);
    }
    const fits = await cli('exec', bin, '--memory', '8192000');
    expect(fits.code).to.equal(0);
  });

  it('exec and disasm read only regular files no larger than memory (or the largest image)', async () => {
    const dir = tmpdir();
    const big = path.join(dir, 'big.bin');
    fs.writeFileSync(big, Buffer.alloc(8192 + 4));
    const cases: [string[], string][] = [
      [['exec', big, '--memory', '8192'], `cannot read '${big}': larger than the machine's 8192 bytes of memory`],
      [['exec', dir], `cannot read '${dir}': not a regular file (a directory)`],
      [['disasm', dir], `cannot read '${dir}': not a regular file (a directory)`],
      [['exec', '/dev/zero'], "cannot read '/dev/zero': not a regular file (a character device)"],
      [['disasm', '/dev/zero'], "cannot read '/dev/zero': not a regular file (a character device)"],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.err, argv.join(' ')).to.equal(`ringlab: ${message}\n`);
    }
  });
});
