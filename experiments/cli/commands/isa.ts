/**
 * `ringlab isa [--variant virtualizable] [--json]`: the Popek-Goldberg report.
 * @category CLI
 */
import { classify } from '../../../core/isa/classify';
import { demonstrate } from '../../../strategies/trap-and-emulate/demonstrate';
import type { IsaVariant } from '../../../core/isa/variant';
import { ISA, type Mnemonic } from '../../../core/isa/table';
import { table } from '../../common/format';

/** The JSON form of the report. */
export interface IsaReport {
  readonly variant: IsaVariant;
  /** Theorem 1: every sensitive instruction is privileged */
  readonly virtualizable: boolean;
  /** Theorem 3: every user-sensitive instruction is privileged */
  readonly hybridVirtualizable: boolean;
  readonly sensitive: readonly { mnemonic: string; class: string; privileged: boolean; userSensitive: boolean; summary: string; exits: { readonly vmx: string; readonly svm: string } }[];
  readonly violations: readonly {
    mnemonic: string;
    kind: 'control-sensitive' | 'behavior-sensitive';
    userSensitive: boolean;
    demonstrated: boolean;
    demonstration: { explanation: string; probe: string; native: number; deprivileged: number } | null;
  }[];
  /** the demonstration programs run on this variant (on a virtualizable ISA they all agree) */
  readonly demonstrations: readonly { mnemonic: string; native: number; deprivileged: number; differs: boolean }[];
}

/** Build the report for a variant. */
export const isaReport = (variant: IsaVariant): IsaReport => {
  const c = classify(variant);
  const demos = demonstrate(variant);
  return {
    variant,
    virtualizable: c.virtualizable,
    hybridVirtualizable: c.hybridVirtualizable,
    sensitive: c.instructions
      .filter((i) => i.sensitive)
      .map((i) => ({ mnemonic: i.mnemonic, class: i.class, privileged: i.privileged, userSensitive: i.userSensitive, summary: i.summary, exits: ISA[i.mnemonic as Mnemonic].exits })),
    violations: c.violations.map((v) => {
      const d = demos.find((x) => x.mnemonic === v.mnemonic);
      return {
        mnemonic: v.mnemonic,
        kind: v.sensitivity === 'control' ? 'control-sensitive' : 'behavior-sensitive',
        userSensitive: v.userSensitive,
        demonstrated: d?.differs ?? false,
        demonstration: d ? { explanation: d.explanation, probe: d.probe, native: d.native, deprivileged: d.deprivileged } : null,
      };
    }),
    demonstrations: demos.map((d) => ({ mnemonic: d.mnemonic, native: d.native, deprivileged: d.deprivileged, differs: d.differs })),
  };
};

const show = (probe: string, v: number): string => (probe === 'IF' ? `IF=${v}` : `0x${(v >>> 0).toString(16)}`);

/** Human-readable report. */
export const renderIsaReport = (r: IsaReport): string => {
  const verdict = (b: boolean) => (b ? 'yes' : 'no');
  const lines = [
    `ISA variant: ${r.variant}`,
    '',
    table(
      ['instruction', 'class', 'privileged', 'user-sensitive', 'exits under VT-x', 'exits under AMD-V'],
      r.sensitive.map((s) => [s.mnemonic, s.class, verdict(s.privileged), verdict(s.userSensitive), s.exits.vmx, s.exits.svm]),
    ),
    '',
    `Theorem 1 (sensitive ⊆ privileged: a trap-and-emulate VMM can be built): ${verdict(r.virtualizable)}`,
    `Theorem 3 (user-sensitive ⊆ privileged: a hybrid VMM can be built):      ${verdict(r.hybridVirtualizable)}`,
  ];
  if (r.violations.length > 0) {
    lines.push('', 'Violations, each run natively at ring 0 and deprivileged at ring 1 under a minimal trap-and-emulate monitor:');
    for (const v of r.violations) {
      const d = v.demonstration;
      lines.push(
        `  ${v.mnemonic.padEnd(6)} ${v.kind}${v.userSensitive ? ', user-sensitive' : ''}: ` +
          (d ? `native ${show(d.probe, d.native)}, deprivileged ${show(d.probe, d.deprivileged)} -> ${v.demonstrated ? 'differs' : 'same'}` : 'no demonstration'),
      );
      if (d) lines.push(`         ${d.explanation}`);
    }
  } else {
    lines.push('', 'No violations. The demonstration programs, run both ways, agree:');
    for (const d of r.demonstrations) lines.push(`  ${d.mnemonic.padEnd(6)} ${d.differs ? 'DIFFERS' : 'same'}`);
  }
  return lines.join('\n');
};
