/**
 * Register names of the assembly language, derived from the ISA table.
 * @category Assembler
 */
import { ControlRegister, REGISTER_COUNT, SP } from '../isa/table';

/** Index of the frame pointer (`fp`), the register below the stack pointer. */
export const FP = SP - 1;

/** Aliases of general-purpose registers. */
const ALIASES: Readonly<Record<string, number>> = { sp: SP, fp: FP };

/** Human-readable list of the general-purpose register names, for messages. */
export const REGISTER_NAMES_TEXT = `r0-r${REGISTER_COUNT - 1}, ${Object.keys(ALIASES).join(', ')}`;

/** Human-readable list of the control register names, for messages. */
export const CONTROL_REGISTER_NAMES_TEXT = Object.keys(ControlRegister).join(', ');

/** Index of a general-purpose register name (case-insensitive), or undefined. */
export const registerIndex = (name: string): number | undefined => {
  const n = name.toLowerCase();
  if (Object.hasOwn(ALIASES, n)) return ALIASES[n];
  const m = /^r(0|[1-9][0-9]?)$/.exec(n);
  return m !== null && Number(m[1]) < REGISTER_COUNT ? Number(m[1]) : undefined;
};

/** Canonical name of a general-purpose register (aliases preferred). */
export const registerName = (index: number): string =>
  Object.entries(ALIASES).find(([, i]) => i === index)?.[0] ?? `r${index}`;

/** Number of a control register name (case-insensitive), or undefined. */
export const controlRegisterNumber = (name: string): number | undefined => {
  const n = name.toLowerCase();
  return Object.hasOwn(ControlRegister, n) ? ControlRegister[n as ControlRegister] : undefined;
};

/** Name of a control register number, or undefined if no such register exists. */
export const controlRegisterName = (n: number): string | undefined =>
  Object.entries(ControlRegister).find(([, v]) => v === n)?.[0];
