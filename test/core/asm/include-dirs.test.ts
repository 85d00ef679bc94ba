import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/Either';
import { assemble, formatAsmError } from '../../../core/asm';

/** Include search folders (`asm -I`, `run --program`): beside the including file first, then each folder in order. */
describe('assembler: include folders', () => {
  const files: Record<string, string> = {
    '/src/lib.s': '.equ WHERE, 1\n',
    '/inc1/lib.s': '.equ WHERE, 2\n',
    '/inc1/only1.s': '.equ ONLY, 1\n',
    '/inc2/only1.s': '.equ ONLY, 2\n',
    '/inc2/only2.s': '.equ TWO, 2\n',
  };
  const readFile = (p: string): string => {
    if (!(p in files)) throw new Error(`ENOENT: ${p}`);
    return files[p];
  };
  const run = (src: string, includeDirs?: string[]) => assemble(src, { file: '/src/main.s', readFile, includeDirs });

  it('a file beside the including one wins over the folders', () => {
    const r = run('.include "lib.s"\n.word WHERE\n', ['/inc1']);
    expect(isRight(r) && r.right.symbols.WHERE).to.equal(1);
  });

  it('then the folders, in order', () => {
    const r = run('.include "only1.s"\n.include "only2.s"\n', ['/inc1', '/inc2']);
    expect(isRight(r) && [r.right.symbols.ONLY, r.right.symbols.TWO]).to.deep.equal([1, 2]);
  });

  it('a file found nowhere names every place searched', () => {
    const r = run('.include "none.s"\n', ['/inc1']);
    expect(isLeft(r) && formatAsmError(r.left[0])).to.match(/cannot read include file 'none\.s'.*searched \/src\/none\.s, \/inc1\/none\.s/);
  });
});
