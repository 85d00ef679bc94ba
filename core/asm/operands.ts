/**
 * Operand syntax, derived from the `syntax` strings of the instruction formats.
 * @category Assembler
 */
import * as E from 'fp-ts/Either';
import { Formats, type Format } from '../isa/table';
import { type Diagnostic } from './errors';
import { parseExpression, type Expr } from './expression';
import { describeToken, isPunct, type Token } from './lexer';
import { textOf } from './parser';
import {
  CONTROL_REGISTER_NAMES_TEXT,
  REGISTER_NAMES_TEXT,
  controlRegisterNumber,
  registerIndex,
} from './registers';
import { columnAt, type SourceLine } from './source';

/** One operand of a format's syntax string (e.g. `ra`, `[rb+imm]`, `port`). */
export type SyntaxWord = 'ra' | 'rb' | 'rc' | 'imm' | 'imm12' | 'port' | 'cr' | 'target' | '[rb+imm]';

const SYNTAX_WORDS: readonly SyntaxWord[] = ['ra', 'rb', 'rc', 'imm', 'imm12', 'port', 'cr', 'target', '[rb+imm]'];

/** Operands of a format, in assembly order. Throws at load time if the table uses an unknown word. */
export const syntaxOf: (format: Format) => readonly SyntaxWord[] = (() => {
  const table = new Map<Format, readonly SyntaxWord[]>();
  for (const f of Object.keys(Formats) as Format[]) {
    const words = Formats[f].syntax
      .split(',')
      .map((w) => w.trim())
      .filter((w) => w !== '');
    for (const w of words)
      if (!(SYNTAX_WORDS as readonly string[]).includes(w)) throw new Error(`format '${f}': unknown operand syntax '${w}'`);
    table.set(f, words as SyntaxWord[]);
  }
  return (format: Format) => table.get(format)!;
})();

/** An instruction field. */
export type Field = 'ra' | 'rb' | 'rc' | 'imm12' | 'imm';

/** An inclusive range an immediate must lie in, and what it is called in messages. */
export interface Range {
  readonly what: string;
  readonly min: number;
  readonly max: number;
}

/** How an operand sets a field: a value known now, or an expression evaluated in pass 2. */
export type Binding =
  | { readonly kind: 'value'; readonly field: Field; readonly value: number }
  | { readonly kind: 'expr'; readonly field: 'imm' | 'imm12'; readonly expr: Expr; readonly range?: Range };

/** The line an operand is on and where it ends (for "got end of line" messages). */
export interface OperandContext {
  readonly src: SourceLine;
  readonly endColumn: number;
}

type OperandParser = (tokens: readonly Token[], ctx: OperandContext) => E.Either<Diagnostic, Binding[]>;

const IMM12: Omit<Range, 'what'> = { min: 0, max: 0xfff };

/** How an operand was written, for messages. */
const got = (tokens: readonly Token[], ctx: OperandContext): string =>
  tokens.length === 0 ? 'nothing' : `'${textOf(ctx.src, tokens)}'`;

const columnOf = (tokens: readonly Token[], ctx: OperandContext): number => tokens[0]?.column ?? ctx.endColumn;

const register =
  (field: 'ra' | 'rb' | 'rc'): OperandParser =>
  (tokens, ctx) => {
    const index = tokens.length === 1 && tokens[0].kind === 'ident' ? registerIndex(tokens[0].text) : undefined;
    return index === undefined
      ? E.left({ column: columnOf(tokens, ctx), message: `expected a register (${REGISTER_NAMES_TEXT}), got ${got(tokens, ctx)}` })
      : E.right([{ kind: 'value', field, value: index }]);
  };

const expression =
  (field: 'imm' | 'imm12', range?: Range): OperandParser =>
  (tokens, ctx) =>
    E.map((expr: Expr): Binding[] => [{ kind: 'expr', field, expr, range }])(
      parseExpression(tokens, tokens.length === 0 ? ctx.endColumn : columnAt(ctx.src, tokens[tokens.length - 1].end)),
    );

const controlRegister: OperandParser = (tokens, ctx) => {
  const n = tokens.length === 1 && tokens[0].kind === 'ident' ? controlRegisterNumber(tokens[0].text) : undefined;
  return n === undefined
    ? E.left({
        column: columnOf(tokens, ctx),
        message: `expected a control register (${CONTROL_REGISTER_NAMES_TEXT}), got ${got(tokens, ctx)}`,
      })
    : E.right([{ kind: 'value', field: 'imm12', value: n }]);
};

/** `[rb]`, `[rb+expr]`, `[rb-expr]` or `[expr]` (base r0, which reads as zero). */
const memory: OperandParser = (tokens, ctx) => {
  const last = tokens[tokens.length - 1];
  if (!isPunct(tokens[0], '[') || !isPunct(last, ']') || tokens.length < 2)
    return E.left({
      column: columnOf(tokens, ctx),
      message: `expected a memory operand ([rb], [rb+offset], [rb-offset] or [address]), got ${got(tokens, ctx)}`,
    });
  const inner = tokens.slice(1, -1);
  const base = inner[0]?.kind === 'ident' ? registerIndex(inner[0].text) : undefined;
  if (base === undefined) {
    if (inner.length === 0)
      return E.left({ column: last.column, message: 'expected a base register or an address inside [ ], got nothing' });
    return E.map((b: Binding[]): Binding[] => [{ kind: 'value', field: 'rb', value: 0 }, ...b])(
      expression('imm')(inner, { ...ctx, endColumn: last.column }),
    );
  }
  const offset = inner.slice(1);
  if (offset.length > 0 && !isPunct(offset[0], '+') && !isPunct(offset[0], '-'))
    return E.left({
      column: offset[0].column,
      message: `expected '+', '-' or ']' after the base register, got ${describeToken(offset[0])}`,
    });
  const rb: Binding = { kind: 'value', field: 'rb', value: base };
  return offset.length === 0
    ? E.right([rb, { kind: 'value', field: 'imm', value: 0 }])
    : E.map((b: Binding[]): Binding[] => [rb, ...b])(expression('imm')(offset, { ...ctx, endColumn: last.column }));
};

/** How each syntax word is parsed. `target` is an absolute address; pc-relative rows encode it relative. */
const OPERAND_PARSERS: Readonly<Record<SyntaxWord, OperandParser>> = {
  ra: register('ra'),
  rb: register('rb'),
  rc: register('rc'),
  imm: expression('imm'),
  target: expression('imm'),
  imm12: expression('imm12', { what: 'immediate', ...IMM12 }),
  port: expression('imm12', { what: 'port', ...IMM12 }),
  cr: controlRegister,
  '[rb+imm]': memory,
};

/** Parse one operand written as `tokens` for the syntax word `word`. */
export const parseOperand = (word: SyntaxWord, tokens: readonly Token[], ctx: OperandContext): E.Either<Diagnostic, Binding[]> =>
  OPERAND_PARSERS[word](tokens, ctx);
