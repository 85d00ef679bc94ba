/**
 * Lexer: one source line to tokens.
 * @category Assembler
 */
import * as E from 'fp-ts/Either';
import { type Diagnostic } from './errors';
import { columnAt, type SourceLine } from './source';

/** Position of a token in its line. */
interface Span {
  /** offset of the first character in the line's text */
  readonly offset: number;
  /** offset just past the last character */
  readonly end: number;
  /** real 1-based column (see {@link columnAt}) */
  readonly column: number;
  /** the token's source text */
  readonly text: string;
}

/** Punctuation and operators, longest first. */
export const PUNCTUATION = [
  '<<', '>>', '<=', '>=', '==', '!=', '&&', '||',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')', '[', ']', ',', ':', '=', '.',
] as const;

/** A punctuation or operator token's text. */
export type Punct = (typeof PUNCTUATION)[number];

/** A token. Character literals become `number` tokens. */
export type Token =
  | (Span & { readonly kind: 'ident' })
  | (Span & { readonly kind: 'directive'; readonly name: string })
  | (Span & { readonly kind: 'number'; readonly value: number })
  | (Span & { readonly kind: 'string'; readonly bytes: readonly number[] })
  | (Span & { readonly kind: 'punct'; readonly punct: Punct });

/** Whether `t` is the punctuation `p`. */
export const isPunct = (t: Token | undefined, p: Punct): boolean => t?.kind === 'punct' && t.punct === p;

/** How a token (or the end of the line) is quoted in messages. */
export const describeToken = (t: Token | undefined): string => (t === undefined ? 'end of line' : `'${t.text}'`);

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, '"': 34, "'": 39 };

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([A-Za-z0-9_]*)/y;

/** Tokenize a line; comments (`;`, `//`) are dropped. */
export const lex = (src: SourceLine): E.Either<Diagnostic, Token[]> => {
  const text = src.text;
  const tokens: Token[] = [];
  const span = (offset: number, end: number): Span => ({
    offset,
    end,
    column: columnAt(src, offset),
    text: text.slice(offset, end),
  });
  const fail = (offset: number, message: string) => E.left({ column: columnAt(src, offset), message });

  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === ';' || text.startsWith('//', i)) break;
    const match = (re: RegExp, at: number): RegExpExecArray | null => {
      re.lastIndex = at;
      return re.exec(text);
    };
    if (c === '.' && match(IDENT, i + 1) !== null) {
      const end = i + 1 + match(IDENT, i + 1)![0].length;
      tokens.push({ kind: 'directive', name: text.slice(i, end).toLowerCase(), ...span(i, end) });
      i = end;
      continue;
    }
    const ident = match(IDENT, i);
    if (ident !== null) {
      tokens.push({ kind: 'ident', ...span(i, i + ident[0].length) });
      i += ident[0].length;
      continue;
    }
    const num = match(NUMBER, i);
    if (num !== null) {
      const end = i + num[0].length;
      if (num[2] !== '') return fail(i, `invalid number '${num[0]}'`);
      const value = Number(num[1]);
      if (value > 0xffffffff) return fail(i, `number '${num[0]}' does not fit in 32 bits`);
      tokens.push({ kind: 'number', value, ...span(i, end) });
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      const quoted = readQuoted(text, i);
      if (E.isLeft(quoted)) return fail(quoted.left.offset, quoted.left.message);
      const { bytes, end } = quoted.right;
      if (c === '"') tokens.push({ kind: 'string', bytes, ...span(i, end) });
      else if (bytes.length !== 1)
        return fail(i, `a character literal must hold exactly one character, got ${text.slice(i, end)}`);
      else tokens.push({ kind: 'number', value: bytes[0], ...span(i, end) });
      i = end;
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (punct !== undefined) {
      tokens.push({ kind: 'punct', punct, ...span(i, i + punct.length) });
      i += punct.length;
      continue;
    }
    return fail(i, `unexpected character '${c}'`);
  }
  return E.right(tokens);
};

/** Read a quoted string or character literal starting at the quote at `start`. */
const readQuoted = (
  text: string,
  start: number,
): E.Either<{ offset: number; message: string }, { bytes: number[]; end: number }> => {
  const quote = text[start];
  const bytes: number[] = [];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) {
    if (text[i] !== '\\') {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
      continue;
    }
    const e = text[i + 1] ?? '';
    if (Object.hasOwn(SIMPLE_ESCAPES, e)) {
      bytes.push(SIMPLE_ESCAPES[e]);
      i += 2;
    } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      return E.left({
        offset: i,
        message: `unknown escape '\\${e}' (expected \\n, \\t, \\r, \\0, \\\\, \\", \\' or \\xNN)`,
      });
    }
  }
  if (i >= text.length)
    return E.left({ offset: start, message: `unterminated ${quote === '"' ? 'string' : 'character literal'}` });
  return E.right({ bytes, end: i + 1 });
};
