import { expect } from 'chai';
import { MNEMONICS } from '../../../core/isa/table';
import { ok, words } from './helpers';

/** An instruction word from literal field values (independent of the table). */
const w = (op: number, ra = 0, rb = 0, rc = 0, imm12 = 0): number =>
  ((op << 24) | (ra << 20) | (rb << 16) | (rc << 12) | imm12) >>> 0;

/** One line per mnemonic, assembled at address 0, and its expected words. */
const ONE_LINE: Record<string, [string, number[]]> = {
  nop: ['nop', [w(0x01)]],
  mov: ['mov r1, r2', [w(0x02, 1, 2)]],
  li: ['li r3, 0x12345678', [w(0x03, 3), 0x12345678]],
  add: ['add r1, r2, r3', [w(0x04, 1, 2, 3)]],
  sub: ['SUB R4, R5, R6', [w(0x05, 4, 5, 6)]],
  and: ['and r7, r8, r9', [w(0x06, 7, 8, 9)]],
  or: ['or r10, r11, r12', [w(0x07, 10, 11, 12)]],
  xor: ['xor r13, fp, sp', [w(0x08, 13, 14, 15)]],
  shl: ['shl r1, r1, r2', [w(0x09, 1, 1, 2)]],
  shr: ['shr r1, r1, r2', [w(0x0a, 1, 1, 2)]],
  sar: ['sar r1, r1, r2', [w(0x0b, 1, 1, 2)]],
  mul: ['mul r1, r2, r3', [w(0x0c, 1, 2, 3)]],
  div: ['div r1, r2, r3', [w(0x0d, 1, 2, 3)]],
  rem: ['rem r1, r2, r3', [w(0x0e, 1, 2, 3)]],
  addi: ['addi r1, r2, -1', [w(0x10, 1, 2), 0xffffffff]],
  subi: ['subi r1, r2, 4', [w(0x11, 1, 2), 4]],
  andi: ['andi r1, r2, 0xff', [w(0x12, 1, 2), 0xff]],
  ori: ['ori r1, r2, 0b1010', [w(0x13, 1, 2), 10]],
  xori: ['xori r1, r2, ~0', [w(0x14, 1, 2), 0xffffffff]],
  shli: ['shli r1, r2, 3', [w(0x15, 1, 2), 3]],
  shri: ['shri r1, r2, 3', [w(0x16, 1, 2), 3]],
  sari: ['sari r1, r2, 3', [w(0x17, 1, 2), 3]],
  muli: ['muli r1, r2, 10', [w(0x18, 1, 2), 10]],
  cmp: ['cmp r1, r2', [w(0x19, 1, 2)]],
  cmpi: ['cmpi r1, 100', [w(0x1a, 1), 100]],
  test: ['test r1, r2', [w(0x1b, 1, 2)]],
  not: ['not r7', [w(0x1c, 7)]],
  neg: ['neg r8', [w(0x1d, 8)]],
  lea: ['lea r1, .', [w(0x1e, 1), 0xfffffff8]],
  ld: ['ld r1, [r2+8]', [w(0x20, 1, 2), 8]],
  st: ['st [r2-4], r1', [w(0x21, 1, 2), 0xfffffffc]],
  ldb: ['ldb r1, [0x100]', [w(0x22, 1, 0), 0x100]],
  stb: ['stb [sp], r1', [w(0x23, 1, 15), 0]],
  push: ['push fp', [w(0x24, 14)]],
  pop: ['pop sp', [w(0x25, 15)]],
  xchg: ['xchg r3, [r4+0x10]', [w(0x26, 3, 4), 0x10]],
  cmpxchg: ['cmpxchg r5, [r6]', [w(0x27, 5, 6), 0]],
  jmp: ['jmp 0x100', [w(0x28), 0xf8]],
  jz: ['jz . + 8', [w(0x29), 0]],
  jnz: ['jnz .', [w(0x2a), 0xfffffff8]],
  jl: ['jl 16', [w(0x2b), 8]],
  jge: ['jge 16', [w(0x2c), 8]],
  jle: ['jle 16', [w(0x2d), 8]],
  jg: ['jg 16', [w(0x2e), 8]],
  jb: ['jb 16', [w(0x2f), 8]],
  jae: ['jae 16', [w(0x30), 8]],
  call: ['call 0', [w(0x34), 0xfffffff8]],
  callr: ['callr r1', [w(0x35, 1)]],
  jmpr: ['jmpr r2', [w(0x36, 2)]],
  ret: ['ret', [w(0x37)]],
  pause: ['pause', [w(0x3a)]],
  int: ['int 0x80', [w(0x38, 0, 0, 0, 0x80)]],
  vmcall: ['vmcall', [w(0x39)]],
  pushf: ['pushf', [w(0x40)]],
  popf: ['popf', [w(0x41)]],
  sidt: ['sidt r1', [w(0x42, 1)]],
  smsw: ['smsw r2', [w(0x43, 2)]],
  rdcpl: ['rdcpl r3', [w(0x44, 3)]],
  rdpid: ['rdpid r5', [w(0x3b, 5)]],
  cli: ['cli', [w(0x50)]],
  sti: ['sti', [w(0x51)]],
  hlt: ['HLT', [w(0x52)]],
  rdcr: ['rdcr r1, cr3', [w(0x53, 1, 0, 0, 3)]],
  wrcr: ['wrcr CR8, r2', [w(0x54, 2, 0, 0, 8)]],
  lidt: ['lidt r1', [w(0x55, 1)]],
  invlpg: ['invlpg r2', [w(0x56, 2)]],
  in: ['in r1, 0x60', [w(0x57, 1, 0, 0, 0x60)]],
  out: ['out 0x61, r2', [w(0x58, 2, 0, 0, 0x61)]],
  iret: ['iret', [w(0x59)]],
  sysenter: ['sysenter', [w(0x5a)]],
  sysexit: ['sysexit r13, r12', [w(0x5b, 13, 12)]],
};

describe('assembler', () => {
  describe('one line per mnemonic', () => {
    it('covers every mnemonic of the table', () => {
      expect(Object.keys(ONE_LINE).sort()).to.deep.equal([...MNEMONICS].sort());
    });
    for (const [mnemonic, [line, expected]] of Object.entries(ONE_LINE))
      it(`${mnemonic}: ${line}`, () => expect(words(ok(line).bytes)).to.deep.equal(expected));
  });

  describe('labels and pc-relative operands', () => {
    it('resolves backward and forward references', () => {
      const p = ok(`
start:  jmp end        ; forward
        nop
back:   jnz back       ; self
end:    call start     ; backward
`);
      expect(p.symbols).to.deep.equal({ start: 0, back: 12, end: 20 });
      expect(words(p.bytes)).to.deep.equal([w(0x28), 12, w(0x01), w(0x2a), -8 >>> 0, w(0x34), -28 >>> 0]);
    });

    it('encodes targets relative to the next instruction at a non-zero origin', () => {
      const p = ok('jmp target\ntarget: lea r2, target', { origin: 0x1000 });
      expect(p.origin).to.equal(0x1000);
      expect(p.symbols.target).to.equal(0x1008);
      expect(words(p.bytes)).to.deep.equal([w(0x28), 0, w(0x1e, 2), -8 >>> 0]);
    });

    it('allows a label alone on a line, several labels, and labels are case-sensitive', () => {
      const p = ok('a:\nb: A: nop\n.word a, b, A');
      expect(p.symbols).to.deep.equal({ a: 0, b: 0, A: 0 });
    });

    it('uses labels in immediates and memory operands', () => {
      const p = ok('li r1, data\nld r2, [data]\nld r3, [r4+data+4]\ndata: .word 7');
      expect(words(p.bytes)).to.deep.equal([w(0x03, 1), 24, w(0x20, 2, 0), 24, w(0x20, 3, 4), 28, 7]);
    });

    it('keeps any label name as an own property of symbols', () => {
      expect(Object.keys(ok('__proto__: nop\nconstructor: nop').symbols)).to.deep.equal(['__proto__', 'constructor']);
    });

    it('accepts sp and fp as register aliases, in any case', () => {
      expect(words(ok('mov SP, Fp').bytes)).to.deep.equal([w(0x02, 15, 14)]);
    });

    it('produces one source-map entry per instruction or data item', () => {
      const p = ok('nop\n\n  li r1, 1 ; x\n.word 1, 2\nlbl:\n.ascii "ab"', { file: 'm.s' });
      expect(p.sourceMap).to.deep.equal([
        { address: 0, file: 'm.s', line: 1 },
        { address: 4, file: 'm.s', line: 3 },
        { address: 12, file: 'm.s', line: 4 },
        { address: 20, file: 'm.s', line: 6 },
      ]);
    });
  });

  describe('directives', () => {
    it('.org advances and zero-fills the gap', () => {
      const p = ok('nop\n.org 0x10\nnop');
      expect(words(p.bytes)).to.deep.equal([w(0x01), 0, 0, 0, w(0x01)]);
    });

    it('.org at the origin of a relocated image', () => {
      const p = ok('.org 0x2000\nnop', { origin: 0x2000 });
      expect(p.bytes.length).to.equal(4);
    });

    it('.align pads to a power of two', () => {
      const p = ok('.byte 1\n.align 4\n.byte 2\n.align 8\nx:');
      expect([...p.bytes]).to.deep.equal([1, 0, 0, 0, 2, 0, 0, 0]);
      expect(p.symbols.x).to.equal(8);
    });

    it('.space with and without fill', () => {
      expect([...ok('.space 3\n.space 2, 0xaa\n.space 1, -1').bytes]).to.deep.equal([0, 0, 0, 0xaa, 0xaa, 0xff]);
    });

    it('.word is 32-bit little-endian, .byte accepts -128..255', () => {
      const p = ok('.word 0x11223344, -1\n.byte 1, 255, -128');
      expect([...p.bytes]).to.deep.equal([0x44, 0x33, 0x22, 0x11, 0xff, 0xff, 0xff, 0xff, 1, 255, 0x80]);
    });

    it('.ascii and .asciz with escapes', () => {
      const p = ok(String.raw`.ascii "a\n\t\r\0\\\"\x41"` + '\n' + String.raw`.asciz "hi", "x"`);
      expect([...p.bytes]).to.deep.equal([97, 10, 9, 13, 0, 92, 34, 0x41, 104, 105, 0, 120, 0]);
    });

    it('.equ and = define constants; an equal redefinition is allowed', () => {
      const p = ok('.equ SIZE, 16\nMASK = SIZE - 1\nMASK = 15\nli r1, MASK');
      expect(p.symbols).to.deep.include({ SIZE: 16, MASK: 15 });
      expect(words(p.bytes)).to.deep.equal([w(0x03, 1), 15]);
    });

    it('constants may refer forward when used in operands', () => {
      const p = ok('LEN = end - start\nstart: .word LEN\nend:');
      expect(words(p.bytes)).to.deep.equal([4]);
    });

    it('.space uses constants defined earlier', () => {
      expect(ok('N = 2 * 3\n.space N').bytes.length).to.equal(6);
    });

    it('. is the address of the current line', () => {
      expect(words(ok('nop\n.word ., . + 4').bytes)).to.deep.equal([w(0x01), 4, 8]);
    });

    it('the image covers up to the highest byte emitted', () => {
      expect(ok('nop\n.org 0x100').bytes.length).to.equal(4);
    });
  });

  describe('expressions', () => {
    const value = (expr: string): number => words(ok(`.word ${expr}`).bytes)[0] | 0;
    const cases: [string, number][] = [
      ['1 + 2 * 3', 7],
      ['(1 + 2) * 3', 9],
      ['10 - 4 - 3', 3],
      ['100 / 7 / 2', 7],
      ['-7 / 2', -3],
      ['-7 % 2', -1],
      ['1 << 4 + 1', 32],
      ['1 | 2 ^ 3 & 1', 3],
      ['1 + 1 == 2', 1],
      ['3 < 2 == 0', 1],
      ['1 || 0 && 0', 1],
      ['!0 + ~0', 0],
      ['-1 >> 1', -1],
      ['0x7fffffff + 1', -0x80000000],
      ['-0x80000000', -0x80000000],
      ['0xffffffff == -1', 1],
      ["'A' + '\\n'", 75],
      ['0b1010 * 0x10', 160],
      ['2 <= 2 && 3 >= 4', 0],
      ['5 != 4', 1],
      ['--5', 5],
      ['0 && 1 / 0', 0],
    ];
    for (const [expr, expected] of cases) it(`${expr} = ${expected}`, () => expect(value(expr)).to.equal(expected));
  });
});
