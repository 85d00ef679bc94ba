/**
 * Helpers of the binary-translation tests: translate hand-written snippets and show the
 * result as assembly, and run a bare-metal guest kernel (a snippet loaded at 0, started in
 * ring 0 with paging off) natively and under the strategy.
 */
import { isLeft } from 'fp-ts/Either';
import { disassemble, type Program } from '../../../core/asm';
import type { Cpu } from '../../../core/cpu/cpu';
import { uniprocessor } from '../../../core/platform/uniprocessor';
import type { StopReason } from '../../../core/cpu/stop';
import { loadProfile } from '../../../core/cost/profile';
import { GUEST_MEMORY_BYTES } from '../../../core/guest/layout';
import { binaryTranslation } from '../../../strategies/binary-translation/binary-translation';
import { vmmCountsOf, type VmmCounts } from '../vmm-counts';
import { translateUnit, type CodeSource, type TranslatedUnit } from '../../../strategies/binary-translation/translator';
import { resolveOptions } from '../../../strategies/options';
import { startVirtualMachine } from '../../../strategies/virtual-machine';
import { assembleSnippet } from '../../core/machine-helpers';

export { assembleSnippet };

/** Guest code of an assembled snippet, as the translator reads it (frame = page of the address). */
export const codeOf = (p: Program): CodeSource => {
  const view = new DataView(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
  return (va) => {
    const o = va - p.origin;
    if (o < 0 || o + 4 > p.bytes.length) return null;
    return { word: view.getInt32(o, true), frame: (va & ~0xfff) >>> 0 };
  };
};

/** Translate the unit at `label` of a snippet (assembled at `origin`); throws if the first fetch fails. */
export const translateAt = (source: string, label: string, maxInstructions = 12, origin = 0x1000): { unit: TranslatedUnit; p: Program } => {
  const p = assembleSnippet(source, {}, origin);
  const pc = p.symbols[label];
  if (pc === undefined) throw new Error(`no label ${label}`);
  const t = translateUnit(codeOf(p), pc, { maxInstructions });
  if (!t.ok) throw new Error(`fetch failed at 0x${t.unmapped.toString(16)}`);
  return { unit: t.unit, p };
};

/** A unit's code as assembly lines, placed at `origin`. */
export const listing = (u: TranslatedUnit, origin = 0xff002000): string[] =>
  disassemble(new Uint8Array(new Int32Array(u.words).buffer), origin).map((l) => l.text);

/** What a bare-metal run left behind. */
export interface BareRun {
  readonly m: Cpu;
  readonly stop: StopReason;
  readonly console: string;
  readonly events: VmmCounts | null;
}

/** Run a bare-metal snippet natively. */
export const runNative = (p: Program, budget = 1_000_000): BareRun => {
  const m = uniprocessor({ memoryBytes: GUEST_MEMORY_BYTES });
  m.load(p.origin, p.bytes);
  const stop = m.run(budget);
  return { m, stop, console: m.platform.console.text(), events: null };
};

/** Run a bare-metal snippet under binary translation with the given options. */
export const runTranslated = (p: Program, options: Record<string, string | number> = {}, budget = 1_000_000): BareRun => {
  const profile = loadProfile('netburst-2006');
  const opts = resolveOptions(binaryTranslation, options);
  if (isLeft(profile) || isLeft(opts)) throw new Error('bad profile or options');
  const vm = startVirtualMachine({
    strategy: binaryTranslation,
    options: opts.right,
    profile: profile.right,
    guestMemoryBytes: GUEST_MEMORY_BYTES,
    load: (platform) => platform.memory.load(p.origin, p.bytes),
  });
  if (isLeft(vm)) throw new Error(vm.left);
  const m = vm.right.cpus[0];
  const stop = vm.right.run(budget);
  return { m, stop, console: m.platform.console.text(), events: vmmCountsOf(m) };
};
