/**
 * The Popek-Goldberg classification of the instruction set, derived from the table, and
 * the verdicts of Theorem 1 (a VMM can be built: every sensitive instruction is
 * privileged) and Theorem 3 (a hybrid VMM can be built: every user-sensitive instruction
 * is privileged).
 * @category ISA
 */
import { ISA, MNEMONICS, type Mnemonic } from './table';
import { isPrivileged, type IsaVariant } from './variant';

/** The class of an instruction. */
export type InstructionClass = 'innocuous' | 'privileged' | 'control-sensitive' | 'behavior-sensitive';

/** Class of an instruction under a variant: privileged wins over the kind of sensitivity. */
export const classOf = (m: Mnemonic, variant: IsaVariant): InstructionClass => {
  if (isPrivileged(m, variant)) return 'privileged';
  switch (ISA[m].sensitivity) {
    case 'none':
      return 'innocuous';
    case 'control':
      return 'control-sensitive';
    case 'behavior':
      return 'behavior-sensitive';
  }
};

/** Whether an instruction is sensitive at all. */
export const isSensitive = (m: Mnemonic): boolean => ISA[m].sensitivity !== 'none';

/** One instruction in the classification. */
export interface ClassifiedInstruction {
  readonly mnemonic: Mnemonic;
  readonly class: InstructionClass;
  readonly privileged: boolean;
  readonly sensitive: boolean;
  readonly sensitivity: 'none' | 'control' | 'behavior';
  readonly userSensitive: boolean;
  readonly summary: string;
}

/** The classification of every instruction and the theorems' verdicts. */
export interface Classification {
  readonly variant: IsaVariant;
  readonly instructions: readonly ClassifiedInstruction[];
  /** Theorem 1: sensitive ⊆ privileged */
  readonly virtualizable: boolean;
  /** Theorem 3: user-sensitive ⊆ privileged */
  readonly hybridVirtualizable: boolean;
  /** sensitive instructions that are not privileged */
  readonly violations: readonly ClassifiedInstruction[];
  /** user-sensitive instructions that are not privileged */
  readonly hybridViolations: readonly ClassifiedInstruction[];
}

/** Classify the ISA under a variant. */
export const classify = (variant: IsaVariant): Classification => {
  const instructions = MNEMONICS.map(
    (m): ClassifiedInstruction => ({
      mnemonic: m,
      class: classOf(m, variant),
      privileged: isPrivileged(m, variant),
      sensitive: isSensitive(m),
      sensitivity: ISA[m].sensitivity,
      userSensitive: ISA[m].userSensitive,
      summary: ISA[m].summary,
    }),
  );
  const violations = instructions.filter((i) => i.sensitive && !i.privileged);
  const hybridViolations = violations.filter((i) => i.userSensitive);
  return {
    variant,
    instructions,
    virtualizable: violations.length === 0,
    hybridVirtualizable: hybridViolations.length === 0,
    violations,
    hybridViolations,
  };
};
