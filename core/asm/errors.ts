/**
 * Assembler diagnostics.
 * @category Assembler
 */
import { type SourceLine } from './source';

/** An assembly error at a real source position. `line` 0 means the file as a whole. */
export interface AsmError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** A problem at a column of the line being processed. */
export interface Diagnostic {
  readonly column: number;
  readonly message: string;
}

/** `file:line:column: message` (or `file: message` for whole-file errors). */
export const formatAsmError = (e: AsmError): string =>
  e.line > 0 ? `${e.file}:${e.line}:${e.column}: ${e.message}` : `${e.file}: ${e.message}`;

/** Errors reported after this many are dropped (a final error says so). */
export const MAX_ERRORS = 100;

/**
 * Collects errors, ordered by the source line they belong to (`seq`, set by the
 * preprocessor for every line it reads), up to {@link MAX_ERRORS}.
 */
export class ErrorSink {
  /** sequence number of the line being processed */
  seq = 0;
  private readonly entries: { readonly seq: number; readonly error: AsmError }[] = [];

  /** Whether the cap is reached; processing should stop. */
  get full(): boolean {
    return this.entries.length > MAX_ERRORS;
  }

  /** Report `message` at `column` of `src`. */
  report(src: SourceLine, column: number, message: string): void {
    const text = src.context === undefined ? message : `${message} (${src.context})`;
    this.add(this.seq, { file: src.file, line: src.line, column, message: text });
  }

  /** Report a diagnostic on `src`. */
  diagnostic(src: SourceLine, d: Diagnostic): void {
    this.report(src, d.column, d.message);
  }

  /** Report an error with an explicit position. */
  add(seq: number, error: AsmError): void {
    if (this.full) return;
    if (this.entries.length === MAX_ERRORS) {
      this.entries.push({ seq: Infinity, error: { ...error, message: `too many errors (${MAX_ERRORS}), stopping` } });
      return;
    }
    this.entries.push({ seq, error });
  }

  /** The errors, in source order. */
  get errors(): AsmError[] {
    return [...this.entries].sort((a, b) => a.seq - b.seq).map((e) => e.error);
  }
}
