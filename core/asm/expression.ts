/**
 * Constant expressions: parser and 32-bit evaluator.
 * @category Assembler
 */
import * as E from 'fp-ts/Either';
import { type Diagnostic } from './errors';
import { describeToken, isPunct, type Token } from './lexer';
import { registerIndex } from './registers';

/** Unary operators. */
export type UnaryOp = '-' | '~' | '!' | '+';

/** Binary operators. */
export type BinaryOp =
  | '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|'
  | '==' | '!=' | '<' | '>' | '<=' | '>=' | '&&' | '||';

/** An expression tree; `column` is where the node starts (for messages). */
export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly column: number }
  | { readonly kind: 'symbol'; readonly name: string; readonly column: number }
  | { readonly kind: 'dot'; readonly column: number }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Expr; readonly column: number }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly column: number };

/** Smallest value an expression may have: the most negative signed 32-bit integer. */
export const MIN_VALUE = -0x80000000;

/** Largest value an expression may have: the largest unsigned 32-bit integer. */
export const MAX_VALUE = 0xffffffff;

/** Whether `v` is an integer that fits in 32 bits, signed or unsigned. */
export const fitsIn32Bits = (v: number): boolean => Number.isInteger(v) && v >= MIN_VALUE && v <= MAX_VALUE;

const bool = (b: boolean): number => (b ? 1 : 0);

/**
 * Unary operators. `-` is exact (its result must still fit in 32 bits); `~` works on the
 * 32-bit word.
 */
const UNARY: Readonly<Record<UnaryOp, (a: number) => number>> = {
  '-': (a) => -a,
  '+': (a) => a,
  '~': (a) => ~a,
  '!': (a) => bool(a === 0),
};

/**
 * Binary operators: C precedence (higher binds tighter). `+`, `-` and `*` are exact (their
 * result must still fit in 32 bits, so nothing wraps silently); the others work on the
 * operands' 32-bit words read as signed. undefined = division by zero.
 */
const BINARY: Readonly<Record<BinaryOp, { precedence: number; apply: (a: number, b: number) => number | undefined }>> = {
  '*': { precedence: 10, apply: (a, b) => a * b },
  '/': { precedence: 10, apply: (a, b) => ((b | 0) === 0 ? undefined : ((a | 0) / (b | 0)) | 0) },
  '%': { precedence: 10, apply: (a, b) => ((b | 0) === 0 ? undefined : ((a | 0) % (b | 0)) | 0) },
  '+': { precedence: 9, apply: (a, b) => a + b },
  '-': { precedence: 9, apply: (a, b) => a - b },
  '<<': { precedence: 8, apply: (a, b) => a << (b & 31) },
  '>>': { precedence: 8, apply: (a, b) => a >> (b & 31) },
  '<': { precedence: 7, apply: (a, b) => bool((a | 0) < (b | 0)) },
  '>': { precedence: 7, apply: (a, b) => bool((a | 0) > (b | 0)) },
  '<=': { precedence: 7, apply: (a, b) => bool((a | 0) <= (b | 0)) },
  '>=': { precedence: 7, apply: (a, b) => bool((a | 0) >= (b | 0)) },
  '==': { precedence: 6, apply: (a, b) => bool((a | 0) === (b | 0)) },
  '!=': { precedence: 6, apply: (a, b) => bool((a | 0) !== (b | 0)) },
  '&': { precedence: 5, apply: (a, b) => a & b },
  '^': { precedence: 4, apply: (a, b) => a ^ b },
  '|': { precedence: 3, apply: (a, b) => a | b },
  '&&': { precedence: 2, apply: (a, b) => bool(a !== 0 && b !== 0) },
  '||': { precedence: 1, apply: (a, b) => bool(a !== 0 || b !== 0) },
};

/** Maximum nesting of parentheses and unary operators in an expression (a guard for the host stack). */
export const MAX_EXPRESSION_DEPTH = 256;

const binaryOf = (t: Token | undefined): BinaryOp | undefined =>
  t?.kind === 'punct' && Object.hasOwn(BINARY, t.punct) ? (t.punct as BinaryOp) : undefined;

const unaryOf = (t: Token | undefined): UnaryOp | undefined =>
  t?.kind === 'punct' && Object.hasOwn(UNARY, t.punct) ? (t.punct as UnaryOp) : undefined;

/**
 * Parse all of `tokens` as one expression. `endColumn` is the column reported when the
 * expression ends too early.
 */
export const parseExpression = (tokens: readonly Token[], endColumn: number): E.Either<Diagnostic, Expr> => {
  let i = 0;
  const here = (): number => tokens[i]?.column ?? endColumn;
  const expected = (what: string): E.Either<Diagnostic, never> =>
    E.left({ column: here(), message: `expected ${what}, got ${describeToken(tokens[i])}` });
  let depth = 0;
  /** Parse one level deeper (after a unary operator or an opening parenthesis at `column`). */
  const nested = (column: number, parse: () => E.Either<Diagnostic, Expr>): E.Either<Diagnostic, Expr> => {
    if (depth >= MAX_EXPRESSION_DEPTH)
      return E.left({ column, message: `expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of parentheses and unary operators)` });
    depth++;
    const r = parse();
    depth--;
    return r;
  };

  const primary = (): E.Either<Diagnostic, Expr> => {
    const t = tokens[i];
    const column = here();
    const op = unaryOf(t);
    if (op !== undefined) {
      i++;
      return nested(column, () => E.map((operand: Expr): Expr => ({ kind: 'unary', op, operand, column }))(primary()));
    }
    if (t?.kind === 'number') {
      i++;
      return E.right({ kind: 'number', value: t.value, column });
    }
    if (t?.kind === 'ident') {
      if (registerIndex(t.text) !== undefined) return expected('an expression');
      i++;
      return E.right({ kind: 'symbol', name: t.text, column });
    }
    if (isPunct(t, '.')) {
      i++;
      return E.right({ kind: 'dot', column });
    }
    if (isPunct(t, '(')) {
      i++;
      return nested(column, () => {
        const inner = binary(1);
        if (E.isLeft(inner)) return inner;
        if (!isPunct(tokens[i], ')')) return expected("')'");
        i++;
        return inner;
      });
    }
    return expected('an expression');
  };

  const binary = (minPrecedence: number): E.Either<Diagnostic, Expr> => {
    let left = primary();
    for (;;) {
      if (E.isLeft(left)) return left;
      const op = binaryOf(tokens[i]);
      if (op === undefined || BINARY[op].precedence < minPrecedence) return left;
      const column = here();
      i++;
      const right = binary(BINARY[op].precedence + 1);
      if (E.isLeft(right)) return right;
      left = E.right({ kind: 'binary', op, left: left.right, right: right.right, column });
    }
  };

  const result = binary(1);
  if (E.isRight(result) && i < tokens.length) {
    return binaryOf(tokens[i]) === undefined && !isPunct(tokens[i], ')')
      ? expected('an operator or the end of the expression')
      : E.left({ column: here(), message: `unexpected ${describeToken(tokens[i])} in expression` });
  }
  return result;
};

/** What an expression may refer to: the current address and symbols (a lookup failure is a message). */
export interface Env {
  /** value of `.` */
  readonly dot: number;
  /** value of a symbol, or why it has none */
  readonly lookup: (name: string) => E.Either<string, number>;
}

type BinaryExpr = Extract<Expr, { kind: 'binary' }>;

/**
 * Work of the evaluator: an expression to evaluate, an operator whose operand is on the value
 * stack, a binary operator whose left value is there (short-circuit or evaluate the right), or
 * one whose two values are there.
 */
type Step =
  | { readonly kind: 'eval'; readonly expr: Expr }
  | { readonly kind: 'unary'; readonly expr: Extract<Expr, { kind: 'unary' }> }
  | { readonly kind: 'right'; readonly expr: BinaryExpr }
  | { readonly kind: 'apply'; readonly expr: BinaryExpr };

const outOfRange = (column: number, what: string): E.Either<Diagnostic, never> =>
  E.left({ column, message: `value out of the 32-bit range: ${what} (expected ${MIN_VALUE}..${MAX_VALUE})` });

/**
 * Evaluate; every value, intermediate results included, must fit in 32 bits (signed or
 * unsigned: {@link MIN_VALUE}..{@link MAX_VALUE}). `&&` and `||` short-circuit. Works on
 * explicit stacks, so neither a long chain of operators nor constants defined through
 * constants (`env.lookup` may evaluate again) costs more than a few host stack frames per level.
 */
export const evaluate = (expr: Expr, env: Env): E.Either<Diagnostic, number> => {
  const steps: Step[] = [{ kind: 'eval', expr }];
  const values: number[] = [];
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    switch (step.kind) {
      case 'eval': {
        const e = step.expr;
        if (e.kind === 'number') values.push(e.value);
        else if (e.kind === 'dot') {
          if (!fitsIn32Bits(env.dot)) return outOfRange(e.column, `'.' is ${env.dot}`);
          values.push(env.dot);
        } else if (e.kind === 'symbol') {
          const v = env.lookup(e.name);
          if (E.isLeft(v)) return E.left({ column: e.column, message: v.left });
          if (!fitsIn32Bits(v.right)) return outOfRange(e.column, `'${e.name}' is ${v.right}`);
          values.push(v.right);
        } else if (e.kind === 'unary') steps.push({ kind: 'unary', expr: e }, { kind: 'eval', expr: e.operand });
        else steps.push({ kind: 'right', expr: e }, { kind: 'eval', expr: e.left });
        break;
      }
      case 'unary': {
        const v = UNARY[step.expr.op](values.pop()!);
        if (!fitsIn32Bits(v)) return outOfRange(step.expr.column, `'${step.expr.op}' gives ${v}`);
        values.push(v + 0); // -0 becomes 0
        break;
      }
      case 'right': {
        const left = values[values.length - 1];
        const { op } = step.expr;
        if (op === '&&' && left === 0) values[values.length - 1] = 0;
        else if (op === '||' && left !== 0) values[values.length - 1] = 1;
        else steps.push({ kind: 'apply', expr: step.expr }, { kind: 'eval', expr: step.expr.right });
        break;
      }
      case 'apply': {
        const right = values.pop()!;
        const v = BINARY[step.expr.op].apply(values.pop()!, right);
        if (v === undefined) return E.left({ column: step.expr.column, message: 'division by zero' });
        if (!fitsIn32Bits(v)) return outOfRange(step.expr.column, `'${step.expr.op}' gives ${v}`);
        values.push(v + 0); // -0 becomes 0
        break;
      }
    }
  }
  return E.right(values[0]);
};
