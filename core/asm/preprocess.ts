/**
 * Preprocessor: includes, macros and conditional assembly. It is a lazy generator of
 * parsed lines, so conditions are evaluated against the assembler's state at that point.
 * @category Assembler
 */
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { ISA } from '../isa/table';
import { type ErrorSink } from './errors';
import { describeToken, type Token } from './lexer';
import { parseLine, textOf, type ParsedLine, type Statement } from './parser';
import { columnAt, MAX_LINE_LENGTH, splitSource, type SourceLine } from './source';

/** Maximum nesting of macro expansions. */
export const MAX_MACRO_DEPTH = 64;

/** Maximum nesting of `.include`. */
export const MAX_INCLUDE_DEPTH = 64;

/** Maximum number of lines all macro expansions may produce together. */
export const MAX_EXPANDED_LINES = 1_000_000;

/** Maximum number of characters all macro expansions may produce together. */
export const MAX_EXPANDED_TEXT = 1 << 24;

/** What the preprocessor asks of the assembler. */
export interface PreprocessHost {
  /** Value of a condition expression now, or undefined after reporting why it has none. */
  readonly evaluateNow: (tokens: readonly Token[], line: ParsedLine, endColumn: number) => number | undefined;
  /** Whether a symbol is defined at this point. */
  readonly isDefined: (name: string) => boolean;
}

/** Preprocessor dependencies. */
export interface PreprocessOptions {
  readonly readFile: (path: string) => string;
  /** folders searched, in order, for a relative include not found beside the including file */
  readonly includeDirs?: readonly string[];
  readonly host: PreprocessHost;
  readonly sink: ErrorSink;
}

interface Macro {
  readonly name: string;
  readonly params: readonly string[];
  readonly body: readonly SourceLine[];
  readonly src: SourceLine;
}

/** A macro definition being collected. */
interface Capture {
  readonly name: string;
  readonly params: readonly string[];
  readonly src: SourceLine;
  readonly column: number;
  readonly body: SourceLine[];
  nesting: number;
}

/** An open `.if`: `active` (assembling), `seeking` (no branch taken yet), `done` (skip to `.endif`). */
interface Conditional {
  readonly src: SourceLine;
  readonly column: number;
  readonly directive: string;
  state: 'active' | 'seeking' | 'done';
  sawElse: boolean;
}

/** Where a unit of lines is being read from. */
interface Context {
  /** resolved paths of the files being included, outermost first */
  readonly includes: readonly string[];
  /** number of enclosing macro expansions */
  readonly depth: number;
}

type DirectiveStatement = Extract<Statement, { kind: 'directive' }>;

const CONDITIONALS = new Set(['.if', '.ifdef', '.ifndef', '.elif', '.else', '.endif']);

/** Directives that change the structure of the text: they must come first on their line. */
const STRUCTURAL = new Set([...CONDITIONALS, '.macro', '.endm']);

const LEADING_DIRECTIVE = /^\s*(\.[A-Za-z_][A-Za-z0-9_]*)/;

/** The directive a line starts with (lower case) and its offset. */
const leadingDirective = (text: string): { name: string; offset: number } | undefined => {
  const m = LEADING_DIRECTIVE.exec(text);
  return m === null ? undefined : { name: m[1].toLowerCase(), offset: m[0].length - m[1].length };
};

/**
 * Replace `\param` by its argument and `\@` by the expansion number, keeping real columns;
 * undefined if the line would be longer than {@link MAX_LINE_LENGTH}.
 */
const substitute = (body: SourceLine, args: ReadonlyMap<string, string>, id: number, context: string): SourceLine | undefined => {
  const reference = /\\(@|[A-Za-z_][A-Za-z0-9_]*)/y;
  let text = '';
  const columns: number[] = [];
  for (let i = 0; i < body.text.length; ) {
    if (text.length > MAX_LINE_LENGTH) return undefined;
    const column = columnAt(body, i);
    reference.lastIndex = i;
    const m = body.text[i] === '\\' ? reference.exec(body.text) : null;
    const value = m === null ? undefined : m[1] === '@' ? String(id) : args.get(m[1]);
    if (m !== null && value !== undefined) {
      text += value;
      for (let k = 0; k < value.length; k++) columns.push(column);
      i += m[0].length;
    } else {
      text += body.text[i];
      columns.push(column);
      i++;
    }
  }
  columns.push(columnAt(body, body.text.length));
  return text.length > MAX_LINE_LENGTH ? undefined : { file: body.file, line: body.line, text, columns, context };
};

/** Expands includes, macros and conditionals of one source file into parsed lines. */
export class Preprocessor {
  private readonly macros = new Map<string, Macro>();
  private expansions = 0;
  private expandedLines = 0;
  private expandedText = 0;
  /** set when an expansion limit is hit: unwind to the top level */
  private overflowed = false;

  constructor(private readonly options: PreprocessOptions) {}

  /** The parsed lines of `text`, read from `file`. */
  *run(text: string, file: string): Generator<ParsedLine> {
    yield* this.unit(splitSource(text, file), { includes: [path.normalize(file)], depth: 0 });
  }

  private get sink(): ErrorSink {
    return this.options.sink;
  }

  private *unit(lines: readonly SourceLine[], ctx: Context): Generator<ParsedLine> {
    const conditionals: Conditional[] = [];
    let capture: Capture | undefined;
    for (const src of lines) {
      if (ctx.depth === 0) this.overflowed = false;
      if (this.sink.full || this.overflowed) return;
      this.sink.seq++;
      const lead = leadingDirective(src.text);
      if (capture !== undefined) {
        if (this.collect(capture, src, lead?.name)) capture = undefined;
        continue;
      }
      if (lead !== undefined && CONDITIONALS.has(lead.name)) {
        this.conditional(conditionals, src, lead.name, columnAt(src, lead.offset));
        continue;
      }
      const top = conditionals[conditionals.length - 1];
      if (top !== undefined && top.state !== 'active') continue;

      if (src.text.length > MAX_LINE_LENGTH) {
        this.sink.report(src, 1, `line too long: ${src.text.length} characters (the maximum is ${MAX_LINE_LENGTH})`);
        continue;
      }
      const parsed = parseLine(src);
      if (E.isLeft(parsed)) {
        this.sink.diagnostic(src, parsed.left);
        continue;
      }
      const line = parsed.right;
      const st = line.statement;
      if (st?.kind === 'directive' && STRUCTURAL.has(st.name) && (line.labels.length > 0 || st.name === '.endm')) {
        this.sink.report(
          src,
          st.token.column,
          st.name === '.endm' ? '.endm without .macro' : `'${st.name}' must come first on its line (not after a label)`,
        );
        continue;
      }
      if (st?.kind === 'directive' && st.name === '.macro') {
        capture = this.startMacro(line, st);
        continue;
      }
      if (st?.kind === 'directive' && st.name === '.include') {
        yield* this.include(line, st, ctx);
        continue;
      }
      if (st?.kind === 'directive' && st.name === '.error') {
        const message = st.rest.length === 1 && st.rest[0].kind === 'string' ? Buffer.from(st.rest[0].bytes).toString() : '.error';
        this.sink.report(src, st.token.column, message);
        continue;
      }
      const macro = st?.kind === 'instruction' ? this.macros.get(st.name) : undefined;
      if (st?.kind === 'instruction' && macro !== undefined) {
        if (line.labels.length > 0) yield { ...line, statement: undefined };
        yield* this.expand(macro, line, st, ctx);
        continue;
      }
      yield line;
    }
    if (capture !== undefined)
      this.sink.report(capture.src, capture.column, `unterminated .macro '${capture.name}': missing .endm`);
    for (const c of conditionals) this.sink.report(c.src, c.column, `unterminated ${c.directive}: missing .endif`);
  }

  /** Add a line to a macro being defined; true when the definition is complete. */
  private collect(capture: Capture, src: SourceLine, lead: string | undefined): boolean {
    if (lead === '.endm' && capture.nesting === 0) {
      if (capture.name === '') return true;
      if (Object.hasOwn(ISA, capture.name.toLowerCase())) {
        this.sink.report(capture.src, capture.column, `macro name '${capture.name}' is an instruction mnemonic`);
      } else if (this.macros.has(capture.name)) {
        const first = this.macros.get(capture.name)!.src;
        this.sink.report(capture.src, capture.column, `macro '${capture.name}' already defined at ${first.file}:${first.line}`);
      } else {
        this.macros.set(capture.name, { name: capture.name, params: capture.params, body: capture.body, src: capture.src });
      }
      return true;
    }
    if (lead === '.macro') capture.nesting++;
    if (lead === '.endm') capture.nesting--;
    capture.body.push(src);
    return false;
  }

  private startMacro(line: ParsedLine, st: DirectiveStatement): Capture {
    const [name, ...rest] = st.rest;
    const capture: Capture = {
      name: name?.kind === 'ident' ? name.text : '',
      params: [],
      src: line.src,
      column: st.token.column,
      body: [],
      nesting: 0,
    };
    if (name?.kind !== 'ident') {
      this.sink.report(line.src, name?.column ?? line.endColumn, `expected a macro name after .macro, got ${describeToken(name)}`);
      return capture;
    }
    const params: string[] = [];
    for (const [i, t] of rest.entries()) {
      const isComma = t.kind === 'punct' && t.punct === ',';
      if (isComma && i > 0) continue;
      if (t.kind !== 'ident' || params.includes(t.text)) {
        const what = t.kind === 'ident' ? `duplicate parameter '${t.text}'` : `expected a parameter name, got ${describeToken(t)}`;
        this.sink.report(line.src, t.column, what);
        break;
      }
      params.push(t.text);
    }
    return { ...capture, params };
  }

  private *expand(macro: Macro, line: ParsedLine, st: Extract<Statement, { kind: 'instruction' }>, ctx: Context): Generator<ParsedLine> {
    const args = st.operands.map((tokens) => textOf(line.src, tokens));
    if (args.length !== macro.params.length) {
      this.sink.report(
        line.src,
        st.token.column,
        `macro '${macro.name}' expects ${macro.params.length} argument${macro.params.length === 1 ? '' : 's'}` +
          `${macro.params.length > 0 ? ` (${macro.params.join(', ')})` : ''}, got ${args.length}`,
      );
      return;
    }
    const stop = (message: string): void => {
      this.sink.report(line.src, st.token.column, message);
      this.overflowed = true;
    };
    if (ctx.depth >= MAX_MACRO_DEPTH) return stop(`macro '${macro.name}' nested too deeply (more than ${MAX_MACRO_DEPTH} levels of expansion)`);
    this.expandedLines += macro.body.length;
    if (this.expandedLines > MAX_EXPANDED_LINES) return stop(`macro expansions produce more than ${MAX_EXPANDED_LINES} lines`);
    const id = ++this.expansions;
    const bindings = new Map(macro.params.map((p, i) => [p, args[i]]));
    const context = `in macro '${macro.name}' expanded at ${line.src.file}:${line.src.line}`;
    const body: SourceLine[] = [];
    for (const b of macro.body) {
      const expanded = substitute(b, bindings, id, context);
      if (expanded === undefined) return stop(`macro '${macro.name}' expands to a line longer than ${MAX_LINE_LENGTH} characters`);
      this.expandedText += expanded.text.length;
      if (this.expandedText > MAX_EXPANDED_TEXT) return stop(`macro expansions produce more than ${MAX_EXPANDED_TEXT} characters`);
      body.push(expanded);
    }
    yield* this.unit(body, { ...ctx, depth: ctx.depth + 1 });
  }

  private *include(line: ParsedLine, st: DirectiveStatement, ctx: Context): Generator<ParsedLine> {
    const [arg] = st.rest;
    if (arg?.kind !== 'string' || st.rest.length !== 1) {
      const bad = arg?.kind === 'string' ? st.rest[1] : arg;
      this.sink.report(line.src, bad?.column ?? line.endColumn, `expected a file name in quotes after .include, got ${describeToken(bad)}`);
      return;
    }
    if (line.labels.length > 0) yield { ...line, statement: undefined };
    const name = Buffer.from(arg.bytes).toString();
    const candidates = path.isAbsolute(name)
      ? [path.normalize(name)]
      : [path.join(path.dirname(line.src.file), name), ...(this.options.includeDirs ?? []).map((d) => path.join(d, name))];
    if (ctx.includes.length > MAX_INCLUDE_DEPTH) {
      this.sink.report(line.src, arg.column, `includes nested too deeply (more than ${MAX_INCLUDE_DEPTH} levels)`);
      return;
    }
    let text: string | undefined;
    let resolved = candidates[0];
    let firstError = '';
    for (const c of candidates) {
      try {
        text = this.options.readFile(c);
        resolved = c;
        break;
      } catch (e) {
        if (firstError === '') firstError = e instanceof Error ? e.message : String(e);
      }
    }
    if (text === undefined) {
      const searched = candidates.length > 1 ? ` (searched ${candidates.join(', ')})` : '';
      this.sink.report(line.src, arg.column, `cannot read include file '${name}': ${firstError}${searched}`);
      return;
    }
    const cycleStart = ctx.includes.indexOf(resolved);
    if (cycleStart >= 0) {
      const chain = [...ctx.includes.slice(cycleStart), resolved].join(' -> ');
      this.sink.report(line.src, arg.column, `include cycle: ${chain}`);
      return;
    }
    yield* this.unit(splitSource(text, resolved), { ...ctx, includes: [...ctx.includes, resolved] });
  }

  /** Handle a conditional directive line. */
  private conditional(stack: Conditional[], src: SourceLine, directive: string, column: number): void {
    const top = stack[stack.length - 1];
    const report = (message: string) => this.sink.report(src, column, message);
    const enter = (test: boolean | undefined): Conditional['state'] =>
      test === undefined ? 'done' : test ? 'active' : 'seeking';
    switch (directive) {
      case '.if':
      case '.ifdef':
      case '.ifndef': {
        const active = top === undefined || top.state === 'active';
        stack.push({ src, column, directive, state: active ? enter(this.test(src, directive)) : 'done', sawElse: false });
        return;
      }
      case '.elif':
      case '.else': {
        if (top === undefined) return report(`${directive} without .if`);
        if (top.sawElse) return report(`${directive} after .else`);
        top.sawElse = directive === '.else';
        if (top.state === 'active') top.state = 'done';
        else if (top.state === 'seeking') top.state = directive === '.else' ? 'active' : enter(this.test(src, directive));
        return;
      }
      case '.endif':
        if (top === undefined) return report('.endif without .if');
        stack.pop();
        return;
    }
  }

  /** Evaluate the condition of an `.if`, `.elif`, `.ifdef` or `.ifndef` line; undefined after an error. */
  private test(src: SourceLine, directive: string): boolean | undefined {
    const parsed = parseLine(src);
    if (E.isLeft(parsed)) {
      this.sink.diagnostic(src, parsed.left);
      return undefined;
    }
    const line = parsed.right;
    const st = line.statement as DirectiveStatement;
    if (directive === '.if' || directive === '.elif') {
      const v = this.options.host.evaluateNow(st.rest, line, line.endColumn);
      return v === undefined ? undefined : v !== 0;
    }
    const [name, extra] = st.rest;
    if (name?.kind !== 'ident' || extra !== undefined) {
      const bad = name?.kind === 'ident' ? extra : name;
      this.sink.report(src, bad?.column ?? line.endColumn, `expected a symbol name after ${directive}, got ${describeToken(bad)}`);
      return undefined;
    }
    return this.options.host.isDefined(name.text) === (directive === '.ifdef');
  }
}
