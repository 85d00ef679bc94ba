/**
 * `ringlab asm FILE.s -o FILE.bin` and `ringlab disasm FILE.bin`.
 * @category CLI
 */
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { assembleFile, disassemble, formatAsmError } from '../../../core/asm';
import { CliError } from '../../common/errors';
import { readFileOrFail, writeFileOrFail } from '../../common/files';
import { hex32 } from '../../common/format';

/** Options of `asm`. */
export interface AsmOptions {
  readonly output?: string;
  readonly define?: readonly string[];
  readonly origin?: number;
}

const parseDefines = (defs: readonly string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const d of defs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.+))?$/.exec(d);
    const v = m ? Number(m[2] ?? '1') : NaN;
    if (!m || !Number.isInteger(v)) throw new CliError(`-D expects NAME or NAME=integer, got '${d}'`);
    out[m[1]] = v;
  }
  return out;
};

/** Assemble a source file into a flat binary image; returns the message to print. */
export const asmCommand = (file: string, o: AsmOptions): string => {
  const output = o.output ?? file.replace(/\.[^./]*$/, '') + '.bin';
  if (path.resolve(output) === path.resolve(file)) throw new CliError(`refusing to overwrite the source '${file}' with its output`);
  const r = assembleFile(file, { defines: parseDefines(o.define ?? []), origin: o.origin });
  if (isLeft(r)) throw new CliError(r.left.map(formatAsmError).join('\n'));
  writeFileOrFail(output, r.right.bytes);
  return `${output}: ${r.right.bytes.length} bytes at ${hex32(r.right.origin)}`;
};

/** Disassemble a flat binary image; returns the listing. */
export const disasmCommand = (file: string, origin: number): string => {
  const bytes = new Uint8Array(readFileOrFail(file));
  return disassemble(bytes, origin)
    .map((l) => `${hex32(l.address)}  ${l.words.map((w) => hex32(w).slice(2)).join(' ').padEnd(17)}  ${l.text}`)
    .join('\n');
};
