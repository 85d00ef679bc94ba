import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from '../helpers';

/** Emits the value of each of X, Y and FOO that is defined, and fails on F or O (a name split into letters). */
const SOURCE = ['X', 'Y', 'FOO'].map((n) => `.ifdef ${n}\n.word ${n}\n.endif`).join('\n') + '\n.ifdef F\n.error "F"\n.endif\n.ifdef O\n.error "O"\n.endif\n';

describe('CLI: asm and disasm options', () => {
  let dir: string;
  let src: string;
  let bin: string;
  beforeEach(() => {
    dir = tmpdir();
    src = path.join(dir, 'p.s');
    bin = path.join(dir, 'p.bin');
    fs.writeFileSync(src, SOURCE);
  });

  const words = async (...defines: string[]): Promise<number[]> => {
    const r = await cli('asm', src, '-o', bin, ...defines);
    expect(r.code, r.err).to.equal(0);
    const b = fs.readFileSync(bin);
    return Array.from({ length: b.length / 4 }, (_, i) => b.readInt32LE(4 * i));
  };

  it('defines NAME=value, NAME (value 1), repeated -D and --define', async () => {
    expect(await words('-D', 'X=5')).to.deep.equal([5]);
    expect(await words('-D', 'FOO')).to.deep.equal([1]);
    expect(await words('-D', 'X=0x10', '-D', 'Y=-3', '--define', 'FOO=0b101')).to.deep.equal([16, -3, 5]);
    expect(await words('-DX=4294967295')).to.deep.equal([-1]);
  });

  it('refuses bad names and values with a clear message', async () => {
    const cases: [string[], string][] = [
      [['-D', '1X=2'], "-D '1X=2': '1X' is not a valid name"],
      [['-D', '=5'], "-D '=5': '' is not a valid name"],
      [['-D', 'r3=1'], "-D 'r3=1': 'r3' is a register name"],
      [['-D', 'X='], "-D 'X=': '' is not an integer (decimal, 0x hex or 0b binary)"],
      [['-D', 'X=1e3'], "-D 'X=1e3': '1e3' is not an integer"],
      [['-D', 'X=4294967296'], "-D 'X=4294967296': 4294967296 does not fit in 32 bits (-2147483648..4294967295)"],
      [['-D', 'X=-2147483649'], 'does not fit in 32 bits'],
      [['-D', 'X', '--define', 'X=2'], "-D 'X=2': 'X' is already defined by an earlier -D"],
    ];
    for (const [args, message] of cases) {
      const r = await cli('asm', src, '-o', bin, ...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.err, args.join(' ')).to.contain(message);
      expect(r.err).to.not.contain('internal error');
    }
  });

  it('refuses an --origin outside 0..0xffffffff instead of wrapping it', async () => {
    for (const origin of ['4294967296', '-1', '']) {
      const a = await cli('asm', src, '-o', bin, '--origin', origin);
      expect(a.code, origin).to.equal(2);
      expect(a.err, origin).to.contain(`--origin must be an integer from 0 to 4294967295, got '${origin}'`);
    }
    fs.writeFileSync(bin, Buffer.alloc(4));
    const d = await cli('disasm', bin, '--origin', '4294967296');
    expect(d.code).to.equal(2);
    expect(d.err).to.contain("--origin must be an integer from 0 to 4294967295, got '4294967296'");
    const ok = await cli('asm', src, '-o', bin, '--origin', '0xffffff00');
    expect(ok.out).to.contain('at 0xffffff00');
  });
});
