import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { assembleFile } from '../../../core/asm';
import { errors, memoryFiles, ok, words } from './helpers';

const NOP = 0x01000000;

describe('preprocessor', () => {
  describe('macros', () => {
    it('substitutes parameters', () => {
      const p = ok(String.raw`
.macro MOVE dst, src
        mov \dst, \src
.endm
        MOVE r1, r2
        MOVE sp, fp
`);
      expect(words(p.bytes)).to.deep.equal([0x02120000, 0x02fe0000]);
    });

    it('gives each expansion unique local labels with \\@', () => {
      const p = ok(String.raw`
.macro SPIN
spin\@: jmp spin\@
.endm
        SPIN
        SPIN
`);
      expect(p.symbols).to.deep.equal({ spin1: 0, spin2: 8 });
      expect(words(p.bytes)).to.deep.equal([0x28000000, -8 >>> 0, 0x28000000, -8 >>> 0]);
    });

    it('expands nested invocations and keeps a label on the invoking line', () => {
      const p = ok(String.raw`
.macro INNER x
        .word \x
.endm
.macro OUTER a, b
        INNER \a
        INNER (\b) * 2
.endm
top:    OUTER 1, 2 + 3
`);
      expect(p.symbols.top).to.equal(0);
      expect(words(p.bytes)).to.deep.equal([1, 10]);
    });

    it('supports macros without parameters and string arguments', () => {
      const p = ok(String.raw`
.macro TEXT s
        .asciz \s
.endm
        TEXT "a,b"
`);
      expect([...p.bytes]).to.deep.equal([97, 44, 98, 0]);
    });

    it('supports recursion bounded by a condition', () => {
      const p = ok(String.raw`
.macro NOPS n
.if \n > 0
        nop
        NOPS \n - 1
.endif
.endm
        NOPS 3
`);
      expect(words(p.bytes)).to.deep.equal([NOP, NOP, NOP]);
    });

    it('reports errors in an expansion at the macro body line, mentioning the macro', () => {
      expect(errors('.macro BAD r\n  push \\r\n.endm\n  BAD r99')).to.deep.equal([
        "t.s:2:8: expected a register (r0-r15, sp, fp), got 'r99' (in macro 'BAD' expanded at t.s:4)",
      ]);
    });
  });

  describe('includes', () => {
    it('reads files relative to the including file', () => {
      const readFile = memoryFiles({
        'src/main.s': '.include "lib/defs.s"\nli r1, VALUE\n',
        'src/lib/defs.s': 'VALUE = 42\n.include "more.s"',
        'src/lib/more.s': 'nop',
      });
      const p = ok('.include "main.s"', { file: 'src/top.s', readFile });
      expect(words(p.bytes)).to.deep.equal([NOP, 0x03100000, 42]);
      expect(p.sourceMap.map((e) => `${e.file}:${e.line}`)).to.deep.equal(['src/lib/more.s:1', 'src/main.s:2']);
    });

    it('assembleFile reads from the file system, includes relative to the file', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-asm-'));
      try {
        fs.mkdirSync(path.join(dir, 'inc'));
        fs.writeFileSync(path.join(dir, 'main.s'), '.include "inc/a.s"\n.word X');
        fs.writeFileSync(path.join(dir, 'inc', 'a.s'), 'X = 0x1234');
        const r = assembleFile(path.join(dir, 'main.s'));
        expect(E.isRight(r) && words(r.right.bytes)).to.deep.equal([0x1234]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('may include the same file twice when it is not a cycle', () => {
      const readFile = memoryFiles({ 'n.s': 'nop' });
      expect(words(ok('.include "n.s"\n.include "n.s"', { file: 'a.s', readFile }).bytes)).to.deep.equal([NOP, NOP]);
    });
  });

  describe('conditional assembly', () => {
    const source = `
.ifdef DEBUG
        .word 1
.elif LEVEL == 2
        .word 2
.elif LEVEL == 3
        .word 3
.else
        .word 4
.endif
`;
    const run = (defines: Record<string, number>) => words(ok(source, { defines }).bytes);
    it('takes the first true branch', () => {
      expect(run({ DEBUG: 0, LEVEL: 2 })).to.deep.equal([1]);
      expect(run({ LEVEL: 2 })).to.deep.equal([2]);
      expect(run({ LEVEL: 3 })).to.deep.equal([3]);
      expect(run({ LEVEL: 7 })).to.deep.equal([4]);
    });

    it('.ifndef and nested conditionals; skipped text is not parsed', () => {
      const p = ok(`
.ifndef FOO
  .if 1
    .word 1
  .else
    this is not assembly @#$
  .endif
.else
  .if 1
    .word 2
  .endif
.endif
`);
      expect(words(p.bytes)).to.deep.equal([1]);
    });

    it('sees constants and labels defined earlier, and the location counter', () => {
      const p = ok('X = 5\nnop\n.if X == 5 && . == 4\n.word 1\n.endif');
      expect(words(p.bytes)).to.deep.equal([NOP, 1]);
    });

    it('skips macro definitions and .error in false branches', () => {
      const p = ok('.if 0\n.macro M\n.endm\n.error "no"\n.endif\nnop');
      expect(words(p.bytes)).to.deep.equal([NOP]);
    });
  });
});
