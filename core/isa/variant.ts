/**
 * ISA variants: the default x86-like ISA, and `virtualizable`, in which every
 * sensitive-but-unprivileged instruction (a `flaw` row) becomes privileged.
 * @category ISA
 */
import { ISA, type Mnemonic, type Privilege } from './table';

/** The ISA variants. */
export const IsaVariant = { default: 'default', virtualizable: 'virtualizable' } as const;

/** Name of an ISA variant. */
export type IsaVariant = keyof typeof IsaVariant;

/** Effective privilege requirement of an instruction under a variant. */
export const privilegeOf = (m: Mnemonic, variant: IsaVariant): Privilege =>
  variant === 'virtualizable' && ISA[m].flaw ? 'kernel' : ISA[m].privilege;

/** Whether an instruction traps when executed outside ring 0 (with IOPL 0) under a variant. */
export const isPrivileged = (m: Mnemonic, variant: IsaVariant): boolean => privilegeOf(m, variant) !== 'none';

/** Every ISA variant. */
export const ISA_VARIANTS: readonly IsaVariant[] = Object.values(IsaVariant);
