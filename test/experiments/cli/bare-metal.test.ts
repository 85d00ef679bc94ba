import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from './helpers';

const HELLO = `        li r1, msg
loop:   ldb r2, [r1]
        cmpi r2, 0
        jz done
        out 0x3f8, r2
        addi r1, r1, 1
        jmp loop
done:   hlt
msg:    .asciz "hello\\n"
`;

describe('CLI: asm, disasm, exec', () => {
  let dir: string;
  beforeEach(() => {
    dir = tmpdir();
  });

  it('assembles, disassembles and runs a program', async () => {
    const src = path.join(dir, 'hello.s');
    fs.writeFileSync(src, HELLO);
    const a = await cli('asm', src, '-o', path.join(dir, 'hello.bin'));
    expect(a.code).to.equal(0);
    expect(a.out).to.match(/hello\.bin: 63 bytes/);
    const d = await cli('disasm', path.join(dir, 'hello.bin'));
    expect(d.out).to.contain('ldb r2, [r1]').and.contain('jz 0x34').and.contain('out 0x3f8, r2');
    const e = await cli('exec', path.join(dir, 'hello.bin'), '--json');
    expect(e.code).to.equal(0);
    const r = JSON.parse(e.out);
    expect(r.console).to.equal('hello\n');
    expect(r.stop.kind).to.equal('halted');
    // li + 6 loop iterations of 5-6 instructions: 1 + 6*6 + final 3 (ldb, cmpi, jz) + hlt
    expect(r.events.instructions).to.deep.equal({ 0: 1 + 6 * 6 + 3 + 1 });
    expect(r.events['io.out']).to.deep.equal({ '1016': 6 });
    expect(r.registers.r1).to.equal(0x38 + 6); // msg + 6: the loop stops at the terminating zero
  });

  it('prints a readable table without --json', async () => {
    const src = path.join(dir, 'hello.s');
    fs.writeFileSync(src, HELLO);
    await cli('asm', src);
    const e = await cli('exec', path.join(dir, 'hello.bin'));
    expect(e.out).to.contain('console:\nhello\n').and.contain('stop: halted at 0x34').and.contain('port writes');
  });

  it('reports assembly errors as file:line:column with exit code 2 and writes nothing', async () => {
    const src = path.join(dir, 'bad.s');
    fs.writeFileSync(src, 'li r1, 5\nmvo r1, r2\njmp nowhere\n');
    const a = await cli('asm', src);
    expect(a.code).to.equal(2);
    expect(a.err).to.contain(`${src}:2:1: unknown instruction 'mvo'`);
    expect(a.err).to.contain("undefined label 'nowhere'");
    expect(fs.existsSync(path.join(dir, 'bad.bin'))).to.equal(false);
  });

  it('ends a program that never halts at the instruction budget with exit code 1', async () => {
    const src = path.join(dir, 'spin.s');
    fs.writeFileSync(src, 'top: jmp top\n');
    await cli('asm', src);
    const e = await cli('exec', path.join(dir, 'spin.bin'), '--max-instructions', '1000', '--json');
    expect(e.code).to.equal(1);
    const r = JSON.parse(e.out);
    expect(r.stop.kind).to.equal('budget');
    expect(r.events.instructions[0]).to.equal(1000);
  });

  it('explains a jump into memory that does not exist (triple fault, no IDT)', async () => {
    const src = path.join(dir, 'wild.s');
    fs.writeFileSync(src, 'li r1, 0x7ff00000\njmpr r1\n');
    await cli('asm', src);
    const e = await cli('exec', path.join(dir, 'wild.bin'));
    expect(e.code).to.equal(1);
    expect(e.out).to.match(/triple fault at 0x7ff00000/);
    expect(e.out).to.contain('outside physical memory');
  });

  it('refuses unreadable files, bad numbers and unknown commands with exit code 2', async () => {
    expect((await cli('exec', path.join(dir, 'missing.bin'))).err).to.contain('no such file');
    expect((await cli('exec', path.join(dir, 'missing.bin'))).code).to.equal(2);
    expect((await cli('exec', 'x.bin', '--max-instructions', 'lots')).err).to.contain("--max-instructions must be an integer >= 1, got 'lots'");
    expect((await cli('frobnicate')).code).to.equal(2);
    expect((await cli('asm', path.join(dir, 'nope.s'))).err).to.contain('nope.s');
  });

  it('runs as a real command: bad input gives one line on stderr, no stack trace', () => {
    const bin = path.join(__dirname, '..', '..', '..', 'bin', 'ringlab.js');
    // the sources, as every test runs them (whatever state dist/ is in)
    const r = spawnSync(process.execPath, [bin, 'exec', path.join(dir, 'missing.bin')], { encoding: 'utf8', env: { ...process.env, RINGLAB_SOURCES: '1' } });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.not.match(/\bat .*\.ts:\d+/);
  });
});
