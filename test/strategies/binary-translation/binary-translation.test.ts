/**
 * The binary-translation strategy end to end: bad options refused with the valid range;
 * bare-metal guest kernels that modify their own code and fault inside translated code
 * behave as natively; chaining on/off, a cache that must flush, adaptive on/off on ptemod;
 * and equivalence with native on every workload (small n) on netburst-2006.
 */
import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/Either';
import { WORKLOADS, WORKLOAD_NAMES, type WorkloadName } from '../../../core/guest/workloads';
import { runOne } from '../../../experiments/run/run-one';
import type { RunResult } from '../../../experiments/run/result';
import { binaryTranslation, expansionRatio } from '../../../strategies/binary-translation/binary-translation';
import { resolveOptions } from '../../../strategies/options';
import { assembleSnippet, runNative, runTranslated } from './helpers';

const PROFILE = 'netburst-2006';

const run = (workload: WorkloadName, n: number, options: Record<string, string | number> = {}): RunResult => {
  const r = runOne({ strategy: 'binary-translation', workload, params: { n }, options, profile: PROFILE });
  if (isLeft(r)) throw new Error(r.left.join('\n'));
  return r.right;
};

const equivalent = (r: RunResult, workload: WorkloadName, n: number): void => {
  expect(r.divergence, 'divergence').to.equal(null);
  expect(r.equivalent).to.equal(true);
  expect(r.stop.kind).to.equal('shutdown');
  expect(r.exitCode).to.equal(0);
  expect(r.console).to.equal(WORKLOADS[workload].expected(n));
};

const by = (r: RunResult, kind: 'translation' | 'callouts' | 'shadowPaging' | 'traps', key: string): number =>
  (r.events[kind].by as Record<string, number>)[key] ?? 0;

describe('binary translation: the strategy', function () {
  this.timeout(120_000);

  describe('options', () => {
    it('refuses a unit of 0 and a cache smaller than one unit, naming the valid range', () => {
      const r = resolveOptions(binaryTranslation, { unit: 0, cache: 100 });
      expect(isLeft(r) && r.left).to.deep.equal([
        "option unit=0 of 'binary-translation' is out of range; expected an integer from 1 to 64",
        "option cache=100 of 'binary-translation' is out of range; expected an integer from 4096 to 2097152",
      ]);
      expect(isLeft(runOne({ strategy: 'binary-translation', workload: 'syscall', options: { unit: 0 }, profile: PROFILE }))).to.equal(true);
      expect(isLeft(resolveOptions(binaryTranslation, { chaining: 'maybe' }))).to.equal(true);
      expect(isRight(resolveOptions(binaryTranslation, { unit: 1, cache: 4096, chaining: 'off', adaptive: 'off' }))).to.equal(true);
    });
  });

  describe('bare-metal guest kernels', () => {
    it('runs a guest kernel that rewrites its own code: the new instructions run, the old translations are invalidated', () => {
      // f's immediate is rewritten between two calls; then the instruction right after a store is
      // rewritten by that store (the same translation unit)
      const p = assembleSnippet(`
start:  li sp, 0x8000
        call f
        mov r8, r1
        li r2, 2
        st [f+4], r2
        call f
        mov r9, r1
        addi r8, r8, 48
        out CONSOLE, r8
        addi r9, r9, 48
        out CONSOLE, r9
        li r3, 7
        st [patch+4], r3
patch:  li r4, 5
        addi r4, r4, 48
        out CONSOLE, r4
        out POWER, r0
f:      li r1, 1
        ret`);
      const native = runNative(p);
      expect(native.console).to.equal('127');
      const bt = runTranslated(p);
      expect(bt.console).to.equal(native.console);
      expect(bt.stop).to.deep.equal(native.stop);
      expect(bt.events!.translation.invalidations).to.be.at.least(2);
    });

    it('delivers an exception raised inside translated code with the guest pc of the faulting instruction', () => {
      const p = assembleSnippet(`
start:  li sp, 0x8000
        li r1, IDT
        lidt r1
        li r2, 0
        call g
        out POWER, r0
g:      li r3, 10
        push r3
        pop r3
fault:  div r4, r3, r2
        ret
de:     ld r5, [sp]
        st [0x9000], r5
        out POWER, r5
        .org IDT
        .word de, KGATE`);
      const native = runNative(p);
      const bt = runTranslated(p);
      expect(native.m.memory.read32(0x9000)).to.equal(p.symbols.fault);
      expect(bt.m.memory.read32(0x9000)).to.equal(p.symbols.fault);
      expect(bt.stop).to.deep.equal(native.stop);
    });
  });

  describe('mechanisms', () => {
    it('chaining: on, continuations are patched once; off, every unit transition enters the monitor', () => {
      const on = run('callret', 200, { chaining: 'on' });
      const off = run('callret', 200, { chaining: 'off' });
      equivalent(on, 'callret', 200);
      equivalent(off, 'callret', 200);
      expect(by(on, 'translation', 'chainedExits')).to.be.greaterThan(0);
      expect(by(off, 'translation', 'chainedExits')).to.equal(0);
      // chained, each continuation enters the monitor once; unchained, on every execution
      expect(by(on, 'callouts', 'continuation')).to.equal(by(on, 'translation', 'chainedExits'));
      expect(by(off, 'callouts', 'continuation')).to.be.greaterThan(10 * by(on, 'callouts', 'continuation'));
      expect(off.cycles.perOperation).to.be.greaterThan(2 * on.cycles.perOperation);
    });

    it('flushes a full cache and stays equivalent', () => {
      const r = run('compile', 5, { cache: 4096 });
      equivalent(r, 'compile', 5);
      expect(by(r, 'translation', 'flushes')).to.be.greaterThan(0);
      expect(by(run('compile', 5), 'translation', 'flushes')).to.equal(0);
    });

    it('adaptive: ptemod page-table stores become callouts instead of trace faults, far cheaper than without', () => {
      const on = run('ptemod', 200, { adaptive: 'on' });
      const off = run('ptemod', 200, { adaptive: 'off' });
      equivalent(on, 'ptemod', 200);
      equivalent(off, 'ptemod', 200);
      expect(by(off, 'shadowPaging', 'traceFaults')).to.be.at.least(200);
      expect(by(on, 'shadowPaging', 'traceFaults')).to.be.below(10);
      expect(by(on, 'callouts', 'pte-write')).to.be.at.least(190);
      expect(by(off, 'callouts', 'pte-write')).to.equal(0);
      expect(on.cycles.perOperation * 3).to.be.below(off.cycles.perOperation);
    });

    it('reports translation counters: translated and direct instructions, expansion ratio', () => {
      const r = run('syscall', 50);
      const t = r.events.translation.by as Record<string, number>;
      expect(t.units).to.be.greaterThan(0);
      expect(t.guestInstructions).to.be.at.least(t.units);
      expect(t.cacheLookups).to.equal(t.cacheHits + t.cacheMisses);
      expect(t.translatedInstructions).to.equal(r.guest.byRing[1]);
      expect(t.directInstructions).to.equal(r.guest.byRing[3]);
      expect(r.guest.byRing[0]).to.equal(0);
      const ratio = expansionRatio({ translatedBytes: t.translatedBytes, guestBytes: t.guestBytes });
      expect(ratio).to.be.greaterThan(1).and.below(4);
      expect(r.cycles.regionBreakdown['translation-cache lookups']).to.be.greaterThan(0);
    });
  });

  describe(`equivalence with native on every workload (${PROFILE})`, () => {
    const smallN = (w: WorkloadName): number => {
      const p = WORKLOADS[w].params.n;
      return Math.max(p.min, Math.min(p.default, 40));
    };
    for (const w of WORKLOAD_NAMES)
      it(w, () => {
        const n = smallN(w);
        const r = run(w, n);
        equivalent(r, w, n);
        expect(r.guest.byRing[0], 'nothing runs at ring 0 but the monitor').to.equal(0);
        expect(by(r, 'translation', 'units')).to.be.greaterThan(0);
      });
  });
});
