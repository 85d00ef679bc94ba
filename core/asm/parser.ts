/**
 * Line parser: tokens to labels and one statement.
 * @category Assembler
 */
import * as E from 'fp-ts/Either';
import { type Diagnostic } from './errors';
import { describeToken, isPunct, lex, type Token } from './lexer';
import { columnAt, type SourceLine } from './source';

/** Token of an identifier. */
export type IdentToken = Extract<Token, { kind: 'ident' }>;

/** Token of a directive name. */
export type DirectiveToken = Extract<Token, { kind: 'directive' }>;

/** A `name:` label definition. */
export interface Label {
  readonly name: string;
  readonly token: IdentToken;
}

/** What a line does besides defining labels. Operands are split at top-level commas. */
export type Statement =
  | (Operands & { readonly kind: 'directive'; readonly name: string; readonly token: DirectiveToken; readonly rest: readonly Token[] })
  | { readonly kind: 'assign'; readonly name: string; readonly token: IdentToken; readonly value: readonly Token[] }
  | (Operands & { readonly kind: 'instruction'; readonly name: string; readonly token: IdentToken });

/** Comma-separated operands and, for each, the column where it ends (its comma, or the end of the line). */
export interface Operands {
  readonly operands: readonly Token[][];
  readonly operandEnds: readonly number[];
}

/** A parsed line. */
export interface ParsedLine {
  readonly src: SourceLine;
  readonly labels: readonly Label[];
  readonly statement?: Statement;
  /** column just after the last token (where "got end of line" points) */
  readonly endColumn: number;
}

/** Split tokens at commas; no tokens means no operands. */
export const splitOperands = (tokens: readonly Token[], endColumn: number): Operands => {
  if (tokens.length === 0) return { operands: [], operandEnds: [] };
  const operands: Token[][] = [[]];
  const operandEnds: number[] = [];
  for (const t of tokens) {
    if (isPunct(t, ',')) {
      operands.push([]);
      operandEnds.push(t.column);
    } else operands[operands.length - 1].push(t);
  }
  operandEnds.push(endColumn);
  return { operands, operandEnds };
};

/** The source text of a run of tokens. */
export const textOf = (src: SourceLine, tokens: readonly Token[]): string =>
  tokens.length === 0 ? '' : src.text.slice(tokens[0].offset, tokens[tokens.length - 1].end);

/** Lex and parse one line. */
export const parseLine = (src: SourceLine): E.Either<Diagnostic, ParsedLine> => {
  const lexed = lex(src);
  if (E.isLeft(lexed)) return lexed;
  const tokens = lexed.right;
  const endColumn = tokens.length === 0 ? 1 : columnAt(src, tokens[tokens.length - 1].end);
  const labels: Label[] = [];
  let i = 0;
  for (let t = tokens[i]; t?.kind === 'ident' && isPunct(tokens[i + 1], ':'); t = tokens[i]) {
    labels.push({ name: t.text, token: t });
    i += 2;
  }
  const head = tokens[i];
  const rest = tokens.slice(i + 1);
  const line = (statement?: Statement): E.Either<Diagnostic, ParsedLine> =>
    E.right({ src, labels, statement, endColumn });
  if (head === undefined) return line();
  if (head.kind === 'ident' && isPunct(rest[0], '='))
    return line({ kind: 'assign', name: head.text, token: head, value: rest.slice(1) });
  if (head.kind === 'directive')
    return line({ kind: 'directive', name: head.name, token: head, ...splitOperands(rest, endColumn), rest });
  if (head.kind === 'ident')
    return line({ kind: 'instruction', name: head.text, token: head, ...splitOperands(rest, endColumn) });
  return E.left({ column: head.column, message: `expected a label, directive or instruction, got ${describeToken(head)}` });
};
