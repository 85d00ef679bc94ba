/**
 * `ringlab asm FILE.s -o FILE.bin` and `ringlab disasm FILE.bin`.
 * @category CLI
 */
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { assembleFile, disassemble, formatAsmError, MAX_IMAGE_SIZE } from '../../../core/asm';
import { registerIndex } from '../../../core/asm/registers';
import { CliError } from '../../common/errors';
import { readFileOrFail, writeFileOrFail } from '../../common/files';
import { hex32 } from '../../common/format';

/** Options of `asm`. */
export interface AsmOptions {
  readonly output?: string;
  readonly define?: readonly string[];
  readonly origin?: number;
  /** folders searched for relative includes not found beside the including file (-I) */
  readonly include?: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER = /^-?(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)$/;

/**
 * The constants of `-D NAME` (value 1) and `-D NAME=integer` (decimal, 0x hex or 0b binary,
 * signed or unsigned 32-bit); each name at most once.
 */
export const parseDefines = (defs: readonly string[]): Record<string, number> => {
  const entries: [string, number][] = [];
  for (const d of defs) {
    const eq = d.indexOf('=');
    const name = eq < 0 ? d : d.slice(0, eq);
    const text = eq < 0 ? '1' : d.slice(eq + 1);
    const refuse = (why: string) => new CliError(`-D '${d}': ${why}`);
    if (!NAME.test(name)) throw refuse(`'${name}' is not a valid name (letters, digits and '_', not starting with a digit)`);
    if (registerIndex(name) !== undefined) throw refuse(`'${name}' is a register name`);
    if (entries.some(([n]) => n === name)) throw refuse(`'${name}' is already defined by an earlier -D`);
    if (!INTEGER.test(text)) throw refuse(`'${text}' is not an integer (decimal, 0x hex or 0b binary)`);
    const value = text.startsWith('-') ? -Number(text.slice(1)) : Number(text);
    if (value < -(2 ** 31) || value > 2 ** 32 - 1) throw refuse(`${text} does not fit in 32 bits (-2147483648..4294967295)`);
    entries.push([name, value]);
  }
  // fromEntries makes every name an own property, '__proto__' included
  return Object.fromEntries(entries);
};

/** Assemble a source file into a flat binary image; returns the message to print. */
export const asmCommand = (file: string, o: AsmOptions): string => {
  const output = o.output ?? file.replace(/\.[^./]*$/, '') + '.bin';
  if (path.resolve(output) === path.resolve(file)) throw new CliError(`refusing to overwrite the source '${file}' with its output`);
  const r = assembleFile(file, { defines: parseDefines(o.define ?? []), origin: o.origin, includeDirs: o.include });
  if (isLeft(r)) throw new CliError(r.left.map(formatAsmError).join('\n'));
  writeFileOrFail(output, r.right.bytes);
  return `${output}: ${r.right.bytes.length} bytes at ${hex32(r.right.origin)}`;
};

/** Disassemble a flat binary image; returns the listing. */
export const disasmCommand = (file: string, origin: number): string => {
  const bytes = new Uint8Array(readFileOrFail(file, MAX_IMAGE_SIZE, `the largest image, ${MAX_IMAGE_SIZE} bytes`));
  return disassemble(bytes, origin)
    .map((l) => `${hex32(l.address)}  ${l.words.map((w) => hex32(w).slice(2)).join(' ').padEnd(17)}  ${l.text}`)
    .join('\n');
};
