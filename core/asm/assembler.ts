/**
 * Two-pass assembler. Pass 1 (interleaved with the preprocessor) fixes every address:
 * instruction sizes come from `sizeOf`, directive sizes from values known at that point.
 * Pass 2 evaluates the remaining expressions (forward references) and encodes.
 * @category Assembler
 */
import * as E from 'fp-ts/Either';
import { encode, makeInstruction, sizeOf } from '../isa/codec';
import { ISA, type Mnemonic } from '../isa/table';
import { ErrorSink, type AsmError } from './errors';
import { evaluate, fitsIn32Bits, MAX_VALUE, MIN_VALUE, parseExpression, type Env, type Expr } from './expression';
import { describeToken, type Token } from './lexer';
import { parseOperand, syntaxOf, type Binding, type Field, type Range } from './operands';
import { type IdentToken, type ParsedLine, type Statement } from './parser';
import { Preprocessor } from './preprocess';
import { readSourceFile } from './read-source';
import { registerIndex } from './registers';
import { columnAt, type SourceLine } from './source';

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /** name of the source in messages and the base of relative includes (default `<input>`) */
  readonly file?: string;
  /** reads included files (default: {@link readSourceFile}) */
  readonly readFile?: (path: string) => string;
  /** folders searched, in order, for a relative `.include` not found beside the including file (as `-I`) */
  readonly includeDirs?: readonly string[];
  /** constants defined before the first line (visible to `.ifdef`); each must fit in 32 bits */
  readonly defines?: Readonly<Record<string, number>>;
  /** address of the first byte of the image and initial location counter (0..0xffffffff, default 0) */
  readonly origin?: number;
}

/** Where the bytes at `address` come from. */
export interface SourceMapEntry {
  readonly address: number;
  readonly file: string;
  readonly line: number;
}

/** An assembled image. */
export interface Program {
  /** address of `bytes[0]` */
  readonly origin: number;
  /** the image, from `origin` up to the highest byte emitted */
  readonly bytes: Uint8Array;
  /** labels (unsigned addresses) and constants (their values, signed or unsigned 32-bit as computed) */
  readonly symbols: Record<string, number>;
  /** one entry per instruction or data directive, in address order */
  readonly sourceMap: SourceMapEntry[];
}

/** Largest image the assembler produces. */
export const MAX_IMAGE_SIZE = 64 * 1024 * 1024;

/** Longest chain of constants defined through one another (by forward references) that is resolved. */
export const MAX_CONSTANT_CHAIN = 1000;

/** File name used in messages when none is given. */
export const DEFAULT_FILE = '<input>';

const BYTE: Range = { what: 'byte value', min: -128, max: 255 };

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

interface SymbolEntry {
  readonly kind: 'label' | 'constant';
  /** undefined for `defines` */
  readonly src?: SourceLine;
  readonly column: number;
  readonly seq: number;
  /** value of `.` where a constant was defined */
  readonly dot: number;
  readonly expr?: Expr;
  value?: number;
  resolving: boolean;
}

/** Something that occupies bytes, placed in pass 1 and emitted in pass 2. */
type Item = { readonly seq: number; readonly src: SourceLine; readonly address: number } & (
  | { readonly kind: 'instruction'; readonly mnemonic: Mnemonic; readonly bindings: readonly Binding[] }
  | { readonly kind: 'values'; readonly width: 1 | 4; readonly exprs: readonly Expr[] }
  | { readonly kind: 'bytes'; readonly bytes: readonly number[] }
  | { readonly kind: 'fill'; readonly count: number; readonly fill?: Expr }
);

/** Distributes `Omit` over the item union. */
type ItemBody = Item extends infer I ? (I extends Item ? Omit<I, 'seq' | 'src' | 'address'> : never) : never;

type DirectiveStatement = Extract<Statement, { kind: 'directive' }>;

/** A directive of pass 1: its operand count and what it does. */
interface DirectiveSpec {
  readonly min: number;
  readonly max: number;
  readonly run: (operands: readonly Token[][], line: ParsedLine, st: DirectiveStatement) => void;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const arityText = (min: number, max: number): string =>
  min === max ? plural(min, 'operand') : max === Infinity ? `at least ${plural(min, 'operand')}` : `${min} or ${plural(max, 'operand')}`;

/** One assembly run. */
class Assembly {
  private readonly sink = new ErrorSink();
  private readonly symbols = new Map<string, SymbolEntry>();
  private readonly items: Item[] = [];
  private readonly origin: number;
  private readonly file: string;
  private pc: number;
  private end: number;
  private tooLarge = false;
  /** constants being resolved, one inside another's definition */
  private chain = 0;

  constructor(private readonly options: AssembleOptions) {
    this.origin = options.origin ?? 0;
    this.file = options.file ?? DEFAULT_FILE;
    this.pc = this.end = this.origin;
    for (const [name, value] of Object.entries(options.defines ?? {}))
      this.symbols.set(name, { kind: 'constant', column: 0, seq: 0, dot: 0, value, resolving: false });
  }

  /** Problems of the origin and defines options, which nothing may wrap silently. */
  private optionErrors(): AsmError[] {
    const error = (message: string): AsmError => ({ file: this.file, line: 0, column: 0, message });
    const errors = Object.entries(this.options.defines ?? {})
      .filter(([, v]) => !fitsIn32Bits(v))
      .map(([name, v]) => error(`define '${name}' must be an integer from ${MIN_VALUE} to ${MAX_VALUE}, got ${v}`));
    if (!Number.isInteger(this.origin) || this.origin < 0 || this.origin > MAX_VALUE)
      errors.unshift(error(`origin must be an integer from 0 to ${hex(MAX_VALUE)}, got ${this.origin}`));
    return errors;
  }

  run(source: string): E.Either<AsmError[], Program> {
    const invalid = this.optionErrors();
    if (invalid.length > 0) return E.left(invalid);
    const preprocessor = new Preprocessor({
      readFile: this.options.readFile ?? readSourceFile,
      includeDirs: this.options.includeDirs,
      sink: this.sink,
      host: {
        evaluateNow: (tokens, line, endColumn) => this.evaluateNow(tokens, line, endColumn),
        isDefined: (name) => this.symbols.has(name),
      },
    });
    for (const line of preprocessor.run(source, this.file)) this.line(line);
    this.resolveConstants();
    const bytes = this.emit();
    const errors = this.sink.errors;
    if (errors.length > 0) return E.left(errors);
    const symbols: Record<string, number> = {};
    for (const [name, s] of this.symbols)
      if (s.value !== undefined)
        Object.defineProperty(symbols, name, { value: s.value, enumerable: true, writable: true, configurable: true });
    const sourceMap = this.items.map((i) => ({ address: i.address, file: i.src.file, line: i.src.line }));
    return E.right({ origin: this.origin, bytes, symbols, sourceMap });
  }

  // ---- pass 1 ---------------------------------------------------------------------------

  private line(line: ParsedLine): void {
    for (const label of line.labels) this.define('label', label.token, line.src, { value: this.pc });
    const st = line.statement;
    switch (st?.kind) {
      case undefined:
        return;
      case 'assign':
        return this.defineConstant(st.token, st.value, line);
      case 'directive': {
        if (!Object.hasOwn(this.directives, st.name))
          return this.sink.report(line.src, st.token.column, `unknown directive '${st.token.text}'`);
        const spec = this.directives[st.name];
        const n = st.operands.length;
        if (n < spec.min || n > spec.max)
          return this.sink.report(line.src, st.token.column, `${st.name} expects ${arityText(spec.min, spec.max)}, got ${n}`);
        return spec.run(st.operands, line, st);
      }
      case 'instruction':
        return this.instruction(st, line);
    }
  }

  private instruction(st: Extract<Statement, { kind: 'instruction' }>, line: ParsedLine): void {
    const name = st.name.toLowerCase();
    if (!Object.hasOwn(ISA, name)) return this.sink.report(line.src, st.token.column, `unknown instruction '${st.name}'`);
    const mnemonic = name as Mnemonic;
    const format = ISA[mnemonic].format;
    const words = syntaxOf(format);
    const address = this.pc;
    this.advance(sizeOf(mnemonic), line.src, st.token.column);
    if (st.operands.length !== words.length) {
      const expected = words.length === 0 ? 'no operands' : `${plural(words.length, 'operand')} (${words.join(', ')})`;
      return this.sink.report(line.src, st.token.column, `'${name}' expects ${expected}, got ${st.operands.length}`);
    }
    const parsed = words.map((w, i) => parseOperand(w, st.operands[i], { src: line.src, endColumn: st.operandEnds[i] }));
    const bindings: Binding[] = [];
    for (const p of parsed) {
      if (E.isLeft(p)) this.sink.diagnostic(line.src, p.left);
      else bindings.push(...p.right);
    }
    if (parsed.every(E.isRight))
      this.items.push({ seq: this.sink.seq, src: line.src, address, kind: 'instruction', mnemonic, bindings });
  }

  /** Pass-1 directives (the preprocessor handles `.macro`, `.include`, `.if` and friends). */
  private readonly directives: Readonly<Record<string, DirectiveSpec>> = {
    '.org': { min: 1, max: 1, run: (ops, line) => this.org(ops[0], line) },
    '.align': { min: 1, max: 1, run: (ops, line) => this.align(ops[0], line) },
    '.space': { min: 1, max: 2, run: (ops, line) => this.space(ops, line) },
    '.word': { min: 1, max: Infinity, run: (ops, line) => this.values(4, ops, line) },
    '.byte': { min: 1, max: Infinity, run: (ops, line) => this.values(1, ops, line) },
    '.ascii': { min: 1, max: Infinity, run: (ops, line) => this.strings(ops, line, false) },
    '.asciz': { min: 1, max: Infinity, run: (ops, line) => this.strings(ops, line, true) },
    '.equ': { min: 2, max: 2, run: (ops, line, st) => this.equ(ops, line, st) },
  };

  private org(tokens: readonly Token[], line: ParsedLine): void {
    const v = this.evaluateNow(tokens, line, line.endColumn);
    if (v === undefined) return;
    if (v < 0) return this.sink.report(line.src, tokens[0].column, `.org expects an address from 0 to ${hex(MAX_VALUE)}, got ${v}`);
    const target = v;
    if (target < this.pc)
      return this.sink.report(
        line.src,
        tokens[0].column,
        `.org ${hex(target)} would move the location counter backwards (it is at ${hex(this.pc)})`,
      );
    this.pc = target;
    this.checkSize(line.src, tokens[0].column);
  }

  private align(tokens: readonly Token[], line: ParsedLine): void {
    const n = this.evaluateNow(tokens, line, line.endColumn);
    if (n === undefined) return;
    if (n < 1 || n > 0x10000 || (n & (n - 1)) !== 0)
      return this.sink.report(line.src, tokens[0].column, `.align expects a power of two from 1 to 65536, got ${n}`);
    this.advance((n - (this.pc % n)) % n, line.src, tokens[0].column);
  }

  private space(ops: readonly Token[][], line: ParsedLine): void {
    const count = this.evaluateNow(ops[0], line, line.endColumn);
    const fill = ops[1] === undefined ? undefined : this.parse(ops[1], line);
    if (count === undefined || fill === null) return;
    if (count < 0) return this.sink.report(line.src, ops[0][0].column, `.space count must not be negative, got ${count}`);
    this.place({ kind: 'fill', count, fill }, count, line);
  }

  private values(width: 1 | 4, ops: readonly Token[][], line: ParsedLine): void {
    const exprs = ops.map((tokens) => this.parse(tokens, line));
    if (exprs.every((e): e is Expr => e !== null)) this.place({ kind: 'values', width, exprs }, width * ops.length, line);
    else this.advance(width * ops.length, line.src, 1);
  }

  private strings(ops: readonly Token[][], line: ParsedLine, terminate: boolean): void {
    const bytes: number[] = [];
    for (const tokens of ops) {
      const [t] = tokens;
      if (t?.kind !== 'string' || tokens.length !== 1) {
        const bad = t?.kind === 'string' ? tokens[1] : t;
        return this.sink.report(line.src, bad?.column ?? line.endColumn, `expected a string in double quotes, got ${describeToken(bad)}`);
      }
      // one at a time: spreading a long string's bytes as arguments overflows the stack
      for (const b of t.bytes) bytes.push(b);
      if (terminate) bytes.push(0);
    }
    this.place({ kind: 'bytes', bytes }, bytes.length, line);
  }

  private equ(ops: readonly Token[][], line: ParsedLine, st: DirectiveStatement): void {
    const [name, extra] = ops[0];
    if (name?.kind !== 'ident' || extra !== undefined) {
      const bad = name?.kind === 'ident' ? extra : name;
      return this.sink.report(line.src, bad?.column ?? st.token.column, `expected a constant name, got ${describeToken(bad)}`);
    }
    this.defineConstant(name, ops[1], line);
  }

  private defineConstant(name: IdentToken, tokens: readonly Token[], line: ParsedLine): void {
    const expr = this.parse(tokens, line);
    if (expr === null) return;
    const now = evaluate(expr, this.env(this.pc, 'now'));
    this.define('constant', name, line.src, E.isRight(now) ? { value: now.right } : { expr });
  }

  /** Define a label or constant; reports clashes. */
  private define(kind: SymbolEntry['kind'], token: IdentToken, src: SourceLine, def: { value: number } | { expr: Expr }): void {
    const name = token.text;
    const error = (message: string) => this.sink.report(src, token.column, message);
    if (registerIndex(name) !== undefined) return error(`'${name}' is a register name and cannot be a ${kind}`);
    const prev = this.symbols.get(name);
    if (prev !== undefined) {
      const where = prev.src === undefined ? 'by the defines option' : `at ${prev.src.file}:${prev.src.line}`;
      if (kind === 'label' && prev.kind === 'label') return error(`duplicate label '${name}' (first defined ${where})`);
      if (kind !== prev.kind) return error(`'${name}' is already defined as a ${prev.kind} ${where}`);
      const value = 'value' in def ? def.value : undefined;
      if (value === undefined || prev.value === undefined)
        return error(`constant '${name}' redefined (first defined ${where}); a redefinition must have a known, equal value`);
      if ((value | 0) !== (prev.value | 0))
        return error(`constant '${name}' redefined with a different value (was ${prev.value}, now ${value}; first defined ${where})`);
      return;
    }
    this.symbols.set(name, { kind, src, column: token.column, seq: this.sink.seq, dot: this.pc, resolving: false, ...def });
  }

  /** Reserve `size` bytes for an item at the location counter. */
  private place(body: ItemBody, size: number, line: ParsedLine): void {
    this.items.push({ ...body, seq: this.sink.seq, src: line.src, address: this.pc } as Item);
    this.advance(size, line.src, line.statement?.kind === 'directive' ? line.statement.token.column : 1);
  }

  private advance(size: number, src: SourceLine, column: number): void {
    this.pc += size;
    this.end = Math.max(this.end, this.pc);
    this.checkSize(src, column);
  }

  private checkSize(src: SourceLine, column: number): void {
    if (this.tooLarge) return;
    if (this.pc > 2 ** 32) {
      this.tooLarge = true;
      this.sink.report(src, column, 'the location counter runs past the end of the 32-bit address space');
    } else if (this.pc - this.origin > MAX_IMAGE_SIZE) {
      this.tooLarge = true;
      this.sink.report(src, column, `the image exceeds the maximum size of ${MAX_IMAGE_SIZE} bytes`);
    }
  }

  // ---- expressions ----------------------------------------------------------------------

  /** Parse an expression operand; null after reporting an error. */
  private parse(tokens: readonly Token[], line: ParsedLine): Expr | null {
    const end = tokens.length === 0 ? line.endColumn : columnAt(line.src, tokens[tokens.length - 1].end);
    const r = parseExpression(tokens, end);
    if (E.isRight(r)) return r.right;
    this.sink.diagnostic(line.src, r.left);
    return null;
  }

  /** Value of an expression that must be known in pass 1; undefined after reporting an error. */
  private evaluateNow(tokens: readonly Token[], line: ParsedLine, endColumn: number): number | undefined {
    const r = E.chain((e: Expr) => evaluate(e, this.env(this.pc, 'now')))(parseExpression(tokens, endColumn));
    if (E.isRight(r)) return r.right;
    this.sink.diagnostic(line.src, r.left);
    return undefined;
  }

  /** Symbols as seen in pass 1 (`now`: defined so far) or pass 2 (`final`). */
  private env(dot: number, mode: 'now' | 'final'): Env {
    return { dot, lookup: (name) => this.valueOf(name, mode) };
  }

  private valueOf(name: string, mode: 'now' | 'final'): E.Either<string, number> {
    const s = this.symbols.get(name);
    if (s === undefined)
      return E.left(
        mode === 'final' ? `undefined label '${name}'` : `'${name}' is not defined yet (the value must be known at this point)`,
      );
    if (s.value !== undefined) return E.right(s.value);
    if (s.resolving || s.expr === undefined) return E.left(`circular definition of '${name}'`);
    // each link costs host stack frames
    if (this.chain >= MAX_CONSTANT_CHAIN)
      return E.left(`constants defined through a chain of more than ${MAX_CONSTANT_CHAIN} others (reached '${name}')`);
    this.chain++;
    s.resolving = true;
    const r = evaluate(s.expr, this.env(s.dot, mode));
    s.resolving = false;
    this.chain--;
    if (E.isLeft(r)) return E.left(r.left.message);
    s.value = r.right;
    return r;
  }

  // ---- pass 2 ---------------------------------------------------------------------------

  /** Give every constant defined with forward references its value, reporting failures where defined. */
  private resolveConstants(): void {
    for (const s of this.symbols.values()) {
      if (this.sink.full) return;
      if (s.value !== undefined || s.expr === undefined || s.src === undefined) continue;
      this.sink.seq = s.seq;
      s.resolving = true;
      const r = evaluate(s.expr, this.env(s.dot, 'final'));
      s.resolving = false;
      if (E.isLeft(r)) this.sink.diagnostic(s.src, r.left);
      else s.value = r.right;
    }
  }

  /** Evaluate in pass 2 and check the range; undefined after reporting an error. */
  private final(expr: Expr, item: Item, range?: Range): number | undefined {
    const r = evaluate(expr, this.env(item.address, 'final'));
    if (E.isLeft(r)) return void this.sink.diagnostic(item.src, r.left);
    return this.inRange(r.right, expr, item, range);
  }

  private inRange(v: number, expr: Expr, item: Item, range?: Range): number | undefined {
    if (range === undefined || (v >= range.min && v <= range.max)) return v;
    this.sink.report(item.src, expr.column, `${range.what} out of range: expected ${range.min}..${range.max}, got ${v}`);
    return undefined;
  }

  private emit(): Uint8Array {
    const bytes = new Uint8Array(this.tooLarge ? 0 : this.end - this.origin);
    const view = new DataView(bytes.buffer);
    const fits = (offset: number, n: number) => offset + n <= bytes.length;
    const put = (offset: number, width: 1 | 4, v: number) => {
      if (!fits(offset, width)) return;
      if (width === 4) view.setUint32(offset, v >>> 0, true);
      else bytes[offset] = v & 0xff;
    };
    for (const item of this.items) {
      if (this.sink.full) break;
      this.sink.seq = item.seq;
      const offset = item.address - this.origin;
      switch (item.kind) {
        case 'instruction': {
          const fields = this.fields(item);
          if (fields !== undefined)
            encode(makeInstruction(item.mnemonic, fields)).forEach((w, k) => put(offset + 4 * k, 4, w));
          break;
        }
        case 'values':
          item.exprs.forEach((e, k) => {
            const v = this.final(e, item, item.width === 1 ? BYTE : undefined);
            if (v !== undefined) put(offset + item.width * k, item.width, v);
          });
          break;
        case 'bytes':
          if (fits(offset, item.bytes.length)) bytes.set(item.bytes, offset);
          break;
        case 'fill': {
          const v = item.fill === undefined ? 0 : this.final(item.fill, item, { ...BYTE, what: 'fill value' });
          if (v !== undefined && fits(offset, item.count)) bytes.fill(v & 0xff, offset, offset + item.count);
          break;
        }
      }
    }
    return bytes;
  }

  /** The fields of an instruction item; pc-relative immediates become target - next pc. */
  private fields(item: Extract<Item, { kind: 'instruction' }>): Partial<Record<Field, number>> | undefined {
    const fields: Partial<Record<Field, number>> = {};
    let ok = true;
    for (const b of item.bindings) {
      if (b.kind === 'value') {
        fields[b.field] = b.value;
        continue;
      }
      const r = evaluate(b.expr, this.env(item.address, 'final'));
      if (E.isLeft(r)) {
        this.sink.diagnostic(item.src, r.left);
        ok = false;
        continue;
      }
      const relative = b.field === 'imm' && ISA[item.mnemonic].pcRelative;
      const v = this.inRange(relative ? (r.right - (item.address + sizeOf(item.mnemonic))) | 0 : r.right, b.expr, item, b.range);
      if (v === undefined) ok = false;
      else fields[b.field] = v;
    }
    return ok ? fields : undefined;
  }
}

/** Assemble `source` into an image, or every error found (up to a cap). */
export const assemble = (source: string, options: AssembleOptions = {}): E.Either<AsmError[], Program> =>
  new Assembly(options).run(source);

/** Read and assemble a file; an unreadable file is an error, not an exception. */
export const assembleFile = (path: string, options: AssembleOptions = {}): E.Either<AsmError[], Program> => {
  const read = options.readFile ?? readSourceFile;
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return E.left([{ file: path, line: 0, column: 0, message: `cannot read '${path}': ${reason}` }]);
  }
  return assemble(text, { ...options, file: options.file ?? path });
};
