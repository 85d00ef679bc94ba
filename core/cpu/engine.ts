/**
 * The simulator engines: the reference interpreter and the JIT. An engine is host
 * machinery: it never changes a modelled number (counters, the clock, exceptions, interrupt
 * timing), only host time; results record it as host metadata.
 * @category CPU
 */

/** The engines by name, each with a one-line description. */
export const ENGINES = {
  interp: 'the reference interpreter: one instruction at a time',
  jit: 'hot basic blocks compiled to JavaScript functions, the rest interpreted',
} as const;

/** Name of an engine. */
export type Engine = keyof typeof ENGINES;

/** All engine names. */
export const ENGINE_NAMES = Object.keys(ENGINES) as Engine[];

/** The engine a run uses when none is given. */
export const DEFAULT_ENGINE: Engine = 'interp';

/** Whether a string names an engine. */
export const isEngine = (s: string): s is Engine => Object.hasOwn(ENGINES, s);
