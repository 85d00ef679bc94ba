/**
 * Lazy arithmetic flags, shared by every engine (the interpreter and the JIT): the last
 * flag-setting operation is kept as its kind, operands and result, and the flags word is
 * computed from them only when something reads it (most results' flags never are).
 *
 * The result `lr` also stands for ZF when no operation is pending (kind 0): every engine
 * keeps `lr === 0` exactly when ZF is set, setting `lr` with {@link zeroWitness} wherever it
 * takes a flags word as it is (a burst's start, after MUL or the interpreter), so JZ and JNZ
 * test `lr` alone.
 * @category CPU
 */
import { Flag } from '../isa/table';

const ZF = Flag.ZF;
const SF = Flag.SF;
const OF = Flag.OF;
const CF = Flag.CF;
const ARITH = CF | ZF | SF | OF;

/** No pending operation: the flags word is current. */
export const LAZY_NONE = 0;
/** The pending operation is an addition x + y = r. */
export const LAZY_ADD = 1;
/** The pending operation is a subtraction (or comparison) x - y = r. */
export const LAZY_SUB = 2;
/** The pending operation is a logical one (CF = OF = 0) with result r. */
export const LAZY_LOGIC = 3;

/** A result that is 0 exactly when the flags word's ZF is set: `lr` for a flags word taken as it is. */
export const zeroWitness = (flags: number): number => ((flags & ZF) !== 0 ? 0 : 1);

/** Signed less (SF != OF) of a flags word. */
export const less = (f: number): boolean => ((f & SF) !== 0) !== ((f & OF) !== 0);

/**
 * The flags word with the arithmetic flags of a pending lazy operation folded in; with no
 * pending operation (kind 0), the flags word as it is.
 */
export const lazyFlags = (flags: number, kind: number, x: number, y: number, r: number): number => {
  if (kind === 0) return flags;
  let f = (flags & ~ARITH) | (r === 0 ? ZF : 0) | (r < 0 ? SF : 0);
  if (kind === LAZY_ADD) f |= (r >>> 0 < x >>> 0 ? CF : 0) | (((x ^ r) & (y ^ r)) < 0 ? OF : 0);
  else if (kind === LAZY_SUB) f |= (x >>> 0 < y >>> 0 ? CF : 0) | (((x ^ y) & (x ^ r)) < 0 ? OF : 0);
  return f;
};
