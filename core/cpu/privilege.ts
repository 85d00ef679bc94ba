/**
 * The privilege check of each opcode as a small integer, for the interpreter's hot path
 * (derived from the ISA table's `privilege` column and the ISA variant).
 * @category CPU
 */
import { ISA, MNEMONICS, type Privilege } from '../isa/table';
import { privilegeOf, type IsaVariant } from '../isa/variant';

/** Runs at any CPL. */
export const PRIV_NONE = 0;
/** Raises #GP when CPL > 0. */
export const PRIV_KERNEL = 1;
/** Raises #GP when CPL > IOPL. */
export const PRIV_IOPL = 2;

/** The code of each privilege requirement. */
export const PRIVILEGE_CODE: Readonly<Record<Privilege, number>> = { none: PRIV_NONE, kernel: PRIV_KERNEL, iopl: PRIV_IOPL };

const columns = new Map<IsaVariant, Uint8Array>();

/**
 * Each opcode's PRIVILEGE_CODE under `variant` (unassigned opcodes: PRIV_NONE), made once per
 * variant and shared by every CPU: callers only read it.
 */
export const privilegeColumn = (variant: IsaVariant): Uint8Array => {
  let column = columns.get(variant);
  if (column === undefined) {
    column = new Uint8Array(256);
    for (const m of MNEMONICS) column[ISA[m].opcode] = PRIVILEGE_CODE[privilegeOf(m, variant)];
    columns.set(variant, column);
  }
  return column;
};
