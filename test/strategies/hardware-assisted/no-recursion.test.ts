/**
 * No guest behaviour makes the host recurse: a kernel whose exception frames land outside
 * guest memory (every delivery's push is an EPT violation under nested paging) once
 * overflowed the host stack through deliver -> exit -> handler -> entry -> deliver. The
 * vCPU loop returns every exit as a value, and an exit during event delivery carries the
 * event, so the VMM escalates as the bare machine does: a triple fault, not a loop.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile } from '../../../core/cost/profile';
import { resolveOptions } from '../../../strategies/options';
import { hardwareAssisted } from '../../../strategies/hardware-assisted/hardware-assisted';
import { startVirtualMachine } from '../../../strategies/virtual-machine';
import { assembleSnippet, runSnippet, stopOf } from '../../core/machine-helpers';

const GUEST = 0x100000;

/** Run a raw kernel under hardware assistance with `paging`; the stop reason. */
const runKernel = (source: string, paging: 'nested' | 'shadow') => {
  const profile = loadProfile('nehalem-2009');
  const options = resolveOptions(hardwareAssisted, { paging });
  if (isLeft(profile) || isLeft(options)) throw new Error('setup');
  const image = assembleSnippet(source);
  const vm = startVirtualMachine({ strategy: hardwareAssisted, options: options.right, profile: profile.right, guestMemoryBytes: GUEST, load: (p) => p.memory.load(0, image.bytes) });
  if (isLeft(vm)) throw new Error(vm.left);
  return vm.right.run({ maxInstructions: 100_000, maxCycles: 100_000_000 });
};

describe('hardware-assisted: no recursion on guest behaviour', () => {
  // the stack is far beyond guest RAM; every fault's frame push faults again
  const STORM = `
        li sp, 0x7ffffff0
        li r2, IDT
        lidt r2
        li r1, 0
        div r3, r3, r1
        hlt
${Array.from({ length: 32 }, (_, v) => `        .org IDT + ${v}*8\n        .word 0x40, KGATE`).join('\n')}`;

  for (const paging of ['nested', 'shadow'] as const)
    it(`paging=${paging}: exception frames outside guest memory end the run cleanly`, () => {
      const native = runSnippet(STORM, { memoryBytes: GUEST });
      const stop = runKernel(STORM, paging);
      // as on the bare machine: #DE, its delivery fails, #DF, its delivery fails
      expect(stopOf(native)).to.include({ kind: 'triple-fault', pc: 0x1c });
      expect(stop).to.include({ kind: 'triple-fault', pc: 0x1c });
    });
});
