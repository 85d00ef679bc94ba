import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { assembleFile, formatAsmError } from '../../../core/asm';
import { errors, memoryFiles } from './helpers';

describe('assembler errors', () => {
  const cases: [string, string, string[]][] = [
    ['unknown instruction', '  mvo r1, r2', ["t.s:1:3: unknown instruction 'mvo'"]],
    ['bad register', 'nop\n  add r1, r16, r2', ["t.s:2:11: expected a register (r0-r15, sp, fp), got 'r16'"]],
    ['missing register', 'add r1, , r2', ['t.s:1:9: expected a register (r0-r15, sp, fp), got nothing']],
    ['undefined label', 'loop: jmp loop2', ["t.s:1:11: undefined label 'loop2'"]],
    ['wrong operand count', 'add r1, r2', ["t.s:1:1: 'add' expects 3 operands (ra, rb, rc), got 2"]],
    ['operands on a bare instruction', 'ret r1', ["t.s:1:1: 'ret' expects no operands, got 1"]],
    ['immediate out of range', 'int 0x1000', ['t.s:1:5: immediate out of range: expected 0..4095, got 4096']],
    ['port out of range', 'in r1, -1', ['t.s:1:8: port out of range: expected 0..4095, got -1']],
    ['byte out of range', '.byte 256', ['t.s:1:7: byte value out of range: expected -128..255, got 256']],
    ['bad control register', 'rdcr r1, cr1', ["t.s:1:10: expected a control register (cr0, cr2, cr3, cr4, cr5, cr6, cr8, cr10, cr11), got 'cr1'"]],
    ['duplicate label', 'x: nop\n\nx: nop', ["t.s:3:1: duplicate label 'x' (first defined at t.s:1)"]],
    ['register as label', 'sp: nop', ["t.s:1:1: 'sp' is a register name and cannot be a label"]],
    ['constant redefined', 'A = 1\n.equ A, 2', ["t.s:2:6: constant 'A' redefined with a different value (was 1, now 2; first defined at t.s:1)"]],
    ['unterminated macro', 'nop\n.macro M a\n nop', ["t.s:2:1: unterminated .macro 'M': missing .endm"]],
    ['unterminated if', '  .if 1\nnop', ['t.s:1:3: unterminated .if: missing .endif']],
    ['stray .endif', '.endif', ['t.s:1:1: .endif without .if']],
    ['.else twice', '.if 0\n.else\n.else\n.endif', ['t.s:3:1: .else after .else']],
    ['.endm without .macro', '.endm', ['t.s:1:1: .endm without .macro']],
    ['unknown directive', '.wurd 1', ["t.s:1:1: unknown directive '.wurd'"]],
    ['directive operand count', '.org', ['t.s:1:1: .org expects 1 operand, got 0']],
    ['.org backwards', '.space 8\n.org 4', ['t.s:2:6: .org 0x4 would move the location counter backwards (it is at 0x8)']],
    ['.org forward reference', '.org later\nlater:', ["t.s:1:6: 'later' is not defined yet (the value must be known at this point)"]],
    ['.if forward reference', '.if X\n.endif\nX = 1', ["t.s:1:5: 'X' is not defined yet (the value must be known at this point)"]],
    ['bad .align', '.align 3', ['t.s:1:8: .align expects a power of two from 1 to 65536, got 3']],
    ['division by zero', '.word 1 / (2 - 2)', ['t.s:1:9: division by zero']],
    ['expression syntax', '.word 1 +', ['t.s:1:10: expected an expression, got end of line']],
    ['unbalanced parenthesis', '.word (1', ["t.s:1:9: expected ')', got end of line"]],
    ['register in an expression', 'li r1, r2', ["t.s:1:8: expected an expression, got 'r2'"]],
    ['bad memory operand', 'ld r1, r2', ["t.s:1:8: expected a memory operand ([rb], [rb+offset], [rb-offset] or [address]), got 'r2'"]],
    ['bad memory offset', 'ld r1, [r2*4]', ["t.s:1:11: expected '+', '-' or ']' after the base register, got '*'"]],
    ['unterminated string', '.ascii "abc', ['t.s:1:8: unterminated string']],
    ['bad escape', '.ascii "\\q"', ["t.s:1:9: unknown escape '\\q' (expected \\n, \\t, \\r, \\0, \\\\, \\\", \\' or \\xNN)"]],
    ['number too large', 'li r1, 0x100000000', ["t.s:1:8: number '0x100000000' does not fit in 32 bits"]],
    ['value below the 32-bit range', '.word -2147483649', ["t.s:1:7: value out of the 32-bit range: '-' gives -2147483649 (expected -2147483648..4294967295)"]],
    ['sum above the 32-bit range', '.word 0xffffffff + 1', ["t.s:1:18: value out of the 32-bit range: '+' gives 4294967296 (expected -2147483648..4294967295)"]],
    ['immediate out of the 32-bit range', 'li r1, 0x10000 * 0x10000', ["t.s:1:16: value out of the 32-bit range: '*' gives 4294967296 (expected -2147483648..4294967295)"]],
    ['memory offset out of the 32-bit range', 'ld r1, [r2 - 0xffffffff]', ["t.s:1:12: value out of the 32-bit range: '-' gives -4294967295 (expected -2147483648..4294967295)"]],
    ['condition out of the 32-bit range', '.if 0x80000000 * 2\n.endif', ["t.s:1:16: value out of the 32-bit range: '*' gives 4294967296 (expected -2147483648..4294967295)"]],
    ['constant plus one out of the 32-bit range', 'A = 0xffffffff\n.word A + 1', ["t.s:2:9: value out of the 32-bit range: '+' gives 4294967296 (expected -2147483648..4294967295)"]],
    ['.org below 0', '.org -4', ['t.s:1:6: .org expects an address from 0 to 0xffffffff, got -4']],
    ['invalid number', 'li r1, 12ab', ["t.s:1:8: invalid number '12ab'"]],
    ['.error', '.error "unsupported configuration"', ['t.s:1:1: unsupported configuration']],
    ['macro named like an instruction', '.macro push x\n.endm', ["t.s:1:1: macro name 'push' is an instruction mnemonic"]],
    ['macro redefined', '.macro M\n.endm\n.macro M\n.endm', ["t.s:3:1: macro 'M' already defined at t.s:1"]],
    ['.if after a label', 'x: .if 1', ["t.s:1:4: '.if' must come first on its line (not after a label)"]],
    ['macro argument count', '.macro M a, b\n.endm\nM 1', ["t.s:3:1: macro 'M' expects 2 arguments (a, b), got 1"]],
    ['macro recursion', '.macro R\nR\n.endm\nR', ["t.s:2:1: macro 'R' nested too deeply (more than 64 levels of expansion) (in macro 'R' expanded at t.s:2)"]],
    ['circular constants', 'A = B\nB = A\n.word A', [
      "t.s:1:5: circular definition of 'A'",
      "t.s:2:5: circular definition of 'B'",
      "t.s:3:7: circular definition of 'A'",
    ]],
  ];
  for (const [name, source, expected] of cases) it(name, () => expect(errors(source)).to.deep.equal(expected));

  describe('includes', () => {
    it('reports an include cycle at the .include', () => {
      const readFile = memoryFiles({ 'a.s': 'nop\n.include "b.s"', 'b.s': '  .include "a.s"' });
      expect(errors('.include "a.s"', { file: 'main.s', readFile })).to.deep.equal([
        'b.s:1:12: include cycle: a.s -> b.s -> a.s',
      ]);
    });

    it('reports a file including itself', () => {
      const readFile = memoryFiles({ 'main.s': '' });
      expect(errors('.include "main.s"', { file: 'main.s', readFile })).to.deep.equal([
        'main.s:1:10: include cycle: main.s -> main.s',
      ]);
    });

    it('reports a missing include file', () => {
      const readFile = memoryFiles({});
      expect(errors('nop\n.include "nope.s"', { file: 'main.s', readFile })).to.deep.equal([
        "main.s:2:10: cannot read include file 'nope.s': no such file 'nope.s'",
      ]);
    });

    it('points errors in included files at the included file', () => {
      const readFile = memoryFiles({ 'inc/x.s': 'nop\n  bogus' });
      expect(errors('.include "inc/x.s"', { file: 'main.s', readFile })).to.deep.equal([
        "inc/x.s:2:3: unknown instruction 'bogus'",
      ]);
    });

    it('an unreadable file given to assembleFile is an error', () => {
      const r = assembleFile('/nonexistent/ringlab/x.s');
      expect(E.isLeft(r)).to.equal(true);
      if (E.isLeft(r)) expect(formatAsmError(r.left[0])).to.match(/^\/nonexistent\/ringlab\/x\.s: cannot read '\/nonexistent\/ringlab\/x\.s': ENOENT/);
    });
  });

  it('refuses an origin or defines outside the 32-bit range', () => {
    expect(errors('nop', { origin: 2 ** 32 })).to.deep.equal(['t.s: origin must be an integer from 0 to 0xffffffff, got 4294967296']);
    expect(errors('nop', { origin: -1 })).to.deep.equal(['t.s: origin must be an integer from 0 to 0xffffffff, got -1']);
    expect(errors('nop', { defines: { X: 2 ** 32, Y: 1.5, Z: -1 } })).to.deep.equal([
      "t.s: define 'X' must be an integer from -2147483648 to 4294967295, got 4294967296",
      "t.s: define 'Y' must be an integer from -2147483648 to 4294967295, got 1.5",
    ]);
  });

  it('collects several errors at once, in source order', () => {
    const source = ['  jmp nowhere', '  mvo r1', 'x: nop', '  add r1, r2, r99', 'x: nop', '.if 1'].join('\n');
    expect(errors(source)).to.deep.equal([
      "t.s:1:7: undefined label 'nowhere'",
      "t.s:2:3: unknown instruction 'mvo'",
      "t.s:4:15: expected a register (r0-r15, sp, fp), got 'r99'",
      "t.s:5:1: duplicate label 'x' (first defined at t.s:3)",
      't.s:6:1: unterminated .if: missing .endif',
    ]);
  });

  it('stops at a cap', () => {
    const lines = errors(Array.from({ length: 500 }, () => 'bogus').join('\n'));
    expect(lines.length).to.equal(101);
    expect(lines[100]).to.match(/too many errors/);
  });
});
