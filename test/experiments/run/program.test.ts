/**
 * `run --program`: a user's own program on the shipped kernel, under every strategy,
 * compared with native's run of the same program.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { runOne } from '../../../experiments/run/run-one';
import { programWorkloadName } from '../../../core/guest/user-images';
import { STRATEGIES } from '../../../strategies/registry';

const SQUARES = `; the sum of the first n squares
.include "user.s"
main:
        MAIN_ENTER 3
        MARK_START
        li r9, 0
        li r10, 0
loop:
        cmp r9, r8
        jge done
        mul r11, r9, r9
        add r10, r10, r11
        addi r9, r9, 1
        jmp loop
done:
        MARK_END
        PUT_RESULT r8, r10
        REPORT_HEX text_name, r8, text_what, r10, r8
        MAIN_RETURN 3
text_name:      .asciz "squares: "
text_what:      .asciz " squares summed to "
`;

/** A program that makes its system calls with its own SYSENTER, not through the vsyscall page: the kernel returns to r13 with stack pointer r12. */
const OWN_SYSENTER = `.include "user.s"
main:
        MAIN_ENTER 3
        MARK_START
        li r1, SYS_WRITE
        li r2, text
        li r3, text_end - text
        mov r12, sp
        lea r13, back
        sysenter
back:
        mov r8, r1
        li r1, SYS_GETPID
        mov r12, sp
        lea r13, back2
        sysenter
back2:
        mov r9, r1
        MARK_END
        PUT_RESULT r8, r9
        MAIN_RETURN 3
text:   .ascii "by SYSENTER\\n"
text_end:
`;

describe('run --program', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-program-'));
  const file = path.join(dir, 'squares.s');
  fs.writeFileSync(file, SQUARES);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const s of Object.values(STRATEGIES))
    it(`${s.name}: runs the program on the shipped kernel, equivalent to native`, () => {
      const r = runOne({ strategy: s.name, workload: '', program: file, params: { n: 100 }, profile: 'netburst-2006', isa: s.requiresVirtualizableIsa ? 'virtualizable' : 'default' });
      if (isLeft(r)) throw new Error(r.left.join('\n'));
      // 0^2 + ... + 99^2 = 328350 = 0x5029e
      expect(r.right.console).to.equal('squares: 100 squares summed to 0x0005029e ok\n');
      expect(r.right.workload).to.equal('program:squares.s');
      expect(r.right.equivalent).to.equal(true);
      expect(r.right.stop.kind).to.equal('shutdown');
      expect(r.right.guest.regionInstructions).to.be.greaterThan(500);
    });

  for (const s of Object.values(STRATEGIES))
    it(`${s.name}: a program's own SYSENTER is a system call, as natively (paravirt: the kernel's set_sysenter entry)`, () => {
      const own = path.join(dir, 'own-sysenter.s');
      fs.writeFileSync(own, OWN_SYSENTER);
      const r = runOne({ strategy: s.name, workload: '', program: own, params: { n: 1 }, profile: 'netburst-2006', isa: s.requiresVirtualizableIsa ? 'virtualizable' : 'default' });
      if (isLeft(r)) throw new Error(r.left.join('\n'));
      expect(r.right.console).to.equal('by SYSENTER\n');
      expect(r.right.stop.kind).to.equal('shutdown');
      expect(r.right.exitCode).to.equal(0);
      expect(r.right.equivalent, r.right.divergence ?? '').to.equal(true);
    });

  it('a program changed on disk is a new program: its native baseline is not reused', () => {
    const other = path.join(dir, 'other.s');
    fs.writeFileSync(other, SQUARES);
    const a = runOne({ strategy: 'native', workload: '', program: other, params: { n: 10 }, profile: 'netburst-2006' });
    fs.writeFileSync(other, SQUARES.replace('mul r11, r9, r9', 'add r11, r9, r9'));
    const b = runOne({ strategy: 'binary-translation', workload: '', program: other, params: { n: 10 }, profile: 'netburst-2006' });
    if (isLeft(a) || isLeft(b)) throw new Error('run failed');
    expect(a.right.console).to.not.equal(b.right.console);
    expect(b.right.equivalent).to.equal(true);
  });

  it('bad programs and parameters are clear errors, all at once', () => {
    const bad = path.join(dir, 'bad.s');
    fs.writeFileSync(bad, '.include "user.s"\nmain: frobnicate r1\n');
    const r = runOne({ strategy: 'native', workload: '', program: bad, params: { m: 1 }, profile: 'netburst-2006' });
    expect(isLeft(r) && r.left.join('\n')).to.match(/bad\.s:2:7: unknown instruction 'frobnicate'[\s\S]*one parameter, n/);
    const missing = runOne({ strategy: 'native', workload: '', program: path.join(dir, 'none.bin'), profile: 'netburst-2006' });
    expect(isLeft(missing) && missing.left[0]).to.match(/cannot read program .*none\.bin/);
  });

  it('names results after the file', () => {
    expect(programWorkloadName('/a/b/my-bench.s')).to.equal('program:my-bench.s');
  });
});
