import { expect } from 'chai';
import { MAX_CONSTANT_CHAIN, MAX_EXPANDED_TEXT, MAX_EXPRESSION_DEPTH, MAX_LINE_LENGTH } from '../../../core/asm';
import { errors, ok } from './helpers';

describe('assembler limits: large input ends in a clear error, never a host stack overflow', () => {
  it('assembles a .ascii string of 131,072 characters', () => {
    expect(ok(`.ascii "${'a'.repeat(131_072)}"`).bytes.length).to.equal(131_072);
  });

  it('refuses a line longer than the maximum', () => {
    expect(errors(`nop\n.ascii "${'a'.repeat(MAX_LINE_LENGTH)}"`)).to.deep.equal([
      `t.s:2:1: line too long: ${MAX_LINE_LENGTH + 9} characters (the maximum is ${MAX_LINE_LENGTH})`,
    ]);
  });

  it('stops a macro that doubles its argument at each expansion at the line length limit', () => {
    expect(errors('.macro D x\nD \\x\\x\n.endm\nD a')).to.deep.equal([
      `t.s:2:1: macro 'D' expands to a line longer than ${MAX_LINE_LENGTH} characters (in macro 'D' expanded at t.s:2)`,
    ]);
  });

  it('caps the text all expansions produce together', () => {
    const source = `.macro F d, x\n.if \\d > 0\nF \\d-1, \\x\nF \\d-1, \\x\n.endif\n.endm\nF 20, ${'a'.repeat(200_000)}`;
    expect(errors(source)).to.deep.equal([
      `t.s:3:1: macro expansions produce more than ${MAX_EXPANDED_TEXT} characters (in macro 'F' expanded at t.s:4)`,
    ]);
  });

  describe('expressions', () => {
    const nesting = `expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of parentheses and unary operators)`;

    it('accepts the maximum nesting of parentheses and unary operators', () => {
      const n = MAX_EXPRESSION_DEPTH / 2;
      expect(ok(`.word ${'-('.repeat(n)}7${')'.repeat(n)}`).bytes).to.deep.equal(new Uint8Array([7, 0, 0, 0]));
    });

    it('refuses deeper nesting at the first operator too many, for 7,000 parentheses or unary operators', () => {
      const column = 7 + MAX_EXPRESSION_DEPTH;
      expect(errors(`.word ${'('.repeat(7000)}1${')'.repeat(7000)}`)).to.deep.equal([`t.s:1:${column}: ${nesting}`]);
      expect(errors(`.word ${'-'.repeat(7000)}1`)).to.deep.equal([`t.s:1:${column}: ${nesting}`]);
      expect(errors(`.if ${'~'.repeat(7000)}1
.endif`)).to.deep.equal([`t.s:1:${column - 2}: ${nesting}`]);
    });

    it('evaluates a chain of 20,000 operators', () => {
      expect(ok(`.word 0${'+1'.repeat(20_000)}`).bytes).to.deep.equal(new Uint8Array([0x20, 0x4e, 0, 0]));
    });

    it('resolves constants defined through a chain of forward references, up to a limit', () => {
      const chain = (n: number) => [...Array.from({ length: n }, (_, i) => `A${i} = A${i + 1} + 1`), `A${n} = 0`, '.word A0'].join('\n');
      expect(ok(chain(MAX_CONSTANT_CHAIN)).bytes).to.deep.equal(new Uint8Array([0xe8, 0x03, 0, 0]));
      const e = errors(chain(20_000));
      expect(e[0]).to.equal(`t.s:1:6: constants defined through a chain of more than ${MAX_CONSTANT_CHAIN} others (reached 'A${MAX_CONSTANT_CHAIN + 1}')`);
      expect(e).to.have.length(101);
    });
  });
});
