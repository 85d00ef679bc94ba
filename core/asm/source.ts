/**
 * Source lines and where their characters really come from.
 * @category Assembler
 */

/** Longest line accepted, in characters, as written or after macro substitution. */
export const MAX_LINE_LENGTH = 1 << 20;

/** One line of assembly text, with its real origin (after macro substitution). */
export interface SourceLine {
  /** file the text comes from */
  readonly file: string;
  /** 1-based line number in `file` */
  readonly line: number;
  /** the text, without its line terminator */
  readonly text: string;
  /** real 1-based column of each character of `text` and of the end of the text; identity when absent */
  readonly columns?: readonly number[];
  /** note appended to errors on this line, e.g. the macro expansion it comes from */
  readonly context?: string;
}

/** Real 1-based column of the character at `offset` in a line's text. */
export const columnAt = (src: SourceLine, offset: number): number =>
  src.columns === undefined ? offset + 1 : src.columns[Math.min(offset, src.columns.length - 1)];

/** Split a file's text into source lines. */
export const splitSource = (text: string, file: string): SourceLine[] =>
  text.split(/\r?\n/).map((t, i) => ({ file, line: i + 1, text: t }));
