/** Shared helpers of the assembler tests. */
import * as E from 'fp-ts/Either';
import * as fc from 'fast-check';
import { makeInstruction } from '../../../core/isa/codec';
import { MNEMONICS } from '../../../core/isa/table';
import { assemble, formatAsmError, type AssembleOptions, type Program } from '../../../core/asm';

/** Assemble, failing the test with the formatted errors if there are any. */
export const ok = (source: string, options: AssembleOptions = {}): Program => {
  const r = assemble(source, options);
  if (E.isLeft(r)) throw new Error(`unexpected errors:\n${r.left.map(formatAsmError).join('\n')}`);
  return r.right;
};

/** Assemble, expecting errors; returns them formatted. */
export const errors = (source: string, options: AssembleOptions = {}): string[] => {
  const r = assemble(source, { file: 't.s', ...options });
  if (E.isRight(r)) throw new Error('expected errors, assembled fine');
  return r.left.map(formatAsmError);
};

/** The little-endian 32-bit words of an image. */
export const words = (bytes: Uint8Array): number[] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length >> 2 }, (_, i) => view.getUint32(4 * i, true));
};

/** An in-memory file system for `readFile`. */
export const memoryFiles =
  (files: Record<string, string>) =>
  (path: string): string => {
    if (!Object.hasOwn(files, path)) throw new Error(`no such file '${path}'`);
    return files[path];
  };

/** Arbitrary instruction: any mnemonic, random fields (normalised by makeInstruction). */
export const arbitraryInstruction = fc
  .record({
    mnemonic: fc.constantFrom(...MNEMONICS),
    ra: fc.nat(15),
    rb: fc.nat(15),
    rc: fc.nat(15),
    imm12: fc.nat(0xfff),
    imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  })
  .map(({ mnemonic, ...fields }) => makeInstruction(mnemonic, fields));

