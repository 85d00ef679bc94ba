import { expect } from 'chai';
import { MAX_EXPANDED_TEXT, MAX_LINE_LENGTH } from '../../../core/asm';
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
});
