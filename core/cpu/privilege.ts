/**
 * The privilege check of each opcode as a small integer, for the interpreter's hot path
 * (derived from the ISA table's `privilege` column and the ISA variant).
 * @category CPU
 */
import type { Privilege } from '../isa/table';

/** Runs at any CPL. */
export const PRIV_NONE = 0;
/** Raises #GP when CPL > 0. */
export const PRIV_KERNEL = 1;
/** Raises #GP when CPL > IOPL. */
export const PRIV_IOPL = 2;

/** The code of each privilege requirement. */
export const PRIVILEGE_CODE: Readonly<Record<Privilege, number>> = { none: PRIV_NONE, kernel: PRIV_KERNEL, iopl: PRIV_IOPL };
