/**
 * Equivalence of shadow paging with the native MMU (Popek & Goldberg): random guest page
 * tables and random sequences of reads, writes (including writes to the guest's own page
 * tables through a linear window) and address-space switches give the same outcome (value
 * read, page-fault error code, #GP) and leave the same guest memory (data, accessed and dirty
 * bits) under the pager as on a bare machine. The native side flushes its TLB after every
 * store (a guest that invalidates what it changed); the virtual side does nothing: the shadow
 * must stay coherent by write protection alone. The VMM frame pool is sometimes tiny, so
 * dropping everything and starting over is exercised too.
 *
 * The second property adds a window onto every table frame (directory entry 2 of both
 * directories) and bursts of stores over whole runs of a frame (zeroing it, or filling it
 * with entries): page-table frames freed and reused as data, then (through directory entries
 * rewritten to point at them, or because they still are tables) reused as page tables again,
 * with small `unshadowAfter` thresholds so that unshadowing and re-protection happen often.
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { GuestFault } from '../../../core/isa/fault';
import type { Cpu } from '../../../core/cpu/cpu';
import { uniprocessor } from '../../../core/platform/uniprocessor';
import { SHADOW_PAGING_COUNTERS } from '../../../strategies/shared/counters';
import { vmmCountsOf } from '../vmm-counts';
import { Vector } from '../../../core/isa/table';
import { ShadowPager } from '../../../strategies/shared/shadow-paging';

const GUEST = 1 << 20;
const P = 1;
const W = 2;
const U = 4;
const A = 0x20;
const D = 0x40;

const PD1 = 0x10000;
const PD2 = 0x12000;
const PT_A = 0x11000; // PD1, directory entry 0
const PT_B = 0x13000; // PD1, directory entry 1
const PT_C = 0x15000; // PD2, directory entry 0
const PT_K = 0x14000; // both, directory entry 768 (a shared kernel table)
const PT_W = 0x16000; // both, directory entry 2 in the second property: a window onto every table frame
const DIRS: readonly (readonly [pd: number, dir: number, pt: number])[] = [
  [PD1, 0, PT_A],
  [PD1, 1, PT_B],
  [PD1, 768, PT_K],
  [PD2, 0, PT_C],
  [PD2, 768, PT_K],
];
/** Frames a guest entry may point at: data, the tables themselves (windows), one beyond guest RAM. */
const FRAMES = [0x20000, 0x21000, 0x22000, PD1, PD2, PT_A, PT_B, PT_C, PT_K, GUEST + 0x1000];
const PAGES = 8;

const flagsArb = fc.constantFrom(0, P, P | W, P | U, P | W | U, P | W | U | A, P | W | U | A | D, P | W | D, P | U | A);
const entryArb = fc.tuple(fc.constantFrom(...FRAMES), flagsArb).map(([f, fl]) => (f | fl) >>> 0);
const pdeFlagsArb = fc.constantFrom(P | W | U, P | W | U, P | W | U, P | W, P | U, P, 0);

const layoutArb = fc.record({
  pdes: fc.array(pdeFlagsArb, { minLength: DIRS.length, maxLength: DIRS.length }),
  ptes: fc.array(fc.array(entryArb, { minLength: PAGES, maxLength: PAGES }), { minLength: 4, maxLength: 4 }),
});

type Op =
  | { readonly kind: 'read'; readonly va: number; readonly user: boolean }
  | { readonly kind: 'write'; readonly va: number; readonly user: boolean; readonly value: number; readonly size: 1 | 4 }
  | { readonly kind: 'switch'; readonly pd: number };

/** Frames mapped by the window table PT_W (page k of directory entry 2 maps WINDOW[k]). */
const WINDOW = [PD1, PD2, PT_A, PT_B, PT_C, PT_K, PT_W, 0x20000, 0x21000, 0x22000];
const windowFlagsArb = fc.constantFrom(P | W | U, P | W | U, P | W | U | A | D, P | W | A | D, P | U);

/** Linear addresses: the first pages of directory entries 0, 1 and 768, small word offsets and the PDE of 768. */
const vaArb = fc
  .tuple(fc.constantFrom(0, 1, 768), fc.integer({ min: 0, max: PAGES - 1 }), fc.oneof(fc.integer({ min: 0, max: 9 }).map((w) => w * 4), fc.constant(0xc00)))
  .map(([d, p, o]) => ((d << 22) | (p << 12) | o) >>> 0);
const valueArb = fc.oneof(entryArb, entryArb, fc.integer({ min: 0, max: 0xffffffff }));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), va: vaArb, user: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('write' as const), va: vaArb, user: fc.boolean(), value: valueArb, size: fc.constantFrom(1 as const, 4 as const) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('switch' as const), pd: fc.constantFrom(PD1, PD2) }) },
);

/** Directory-entry flags per DIRS row, and the entries of PT_A, PT_B, PT_C, PT_K (and with a window, the flags of PT_W's entries). */
interface Layout {
  readonly pdes: readonly number[];
  readonly ptes: readonly (readonly number[])[];
  readonly window?: readonly number[];
}

const build = (m: Cpu, layout: Layout): void => {
  const ptIndex = [PT_A, PT_B, PT_C, PT_K];
  DIRS.forEach(([pd, dir, pt], i) => m.memory.write32(pd + dir * 4, layout.pdes[i] === 0 ? 0 : pt | layout.pdes[i]));
  ptIndex.forEach((pt, i) => layout.ptes[i].forEach((e, k) => m.memory.write32(pt + k * 4, e)));
  for (const f of FRAMES) if (f < GUEST && f >= 0x20000) for (let o = 0; o < 64; o += 4) m.memory.write32(f + o, (f + o) * 3);
  if (layout.window) {
    for (const pd of [PD1, PD2]) m.memory.write32(pd + 2 * 4, PT_W | P | W | U);
    layout.window.forEach((flags, k) => m.memory.write32(PT_W + k * 4, WINDOW[k] | flags));
  }
};

/** Page k of directory entry 2 (the window onto WINDOW[k]). */
const windowVa = (k: number): number => ((2 << 22) | (k << 12)) >>> 0;

/**
 * A burst of word stores over `count` consecutive entries of a window page from `start` (a
 * whole page when 1024): zeroes (a frame freed and zeroed for reuse) or a repeated pattern of
 * entries (a frame filled as a new page table), the way a guest kernel reuses a frame. The
 * window itself (PT_W, and directory entry 2 of a directory) is left alone, as a kernel keeps
 * its own mappings, so that a run goes on after a directory has been wiped.
 */
const burstArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.integer({ min: 0, max: WINDOW.length - 1 }).filter((k) => WINDOW[k] !== PT_W),
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1023 })),
    fc.oneof(fc.integer({ min: 1, max: 24 }), fc.constant(1024)),
    fc.constantFrom(false, false, false, true),
    fc.oneof(fc.constant([0]), fc.array(fc.oneof(fc.constant(0), entryArb), { minLength: 1, maxLength: 4 })),
  )
  .map(([k, start, count, user, values]) => {
    const from = count === 1024 ? 0 : start;
    const to = Math.min(1024, from + count);
    const out: Op[] = [];
    for (let w = from; w < to; w++)
      if (!(w === 2 && (WINDOW[k] === PD1 || WINDOW[k] === PD2)))
        out.push({ kind: 'write', va: (windowVa(k) + w * 4) >>> 0, user, value: values[w % values.length], size: 4 });
    return out;
  });

/** As vaArb, and the window pages (their first words and their directory-entry-768 word). */
const windowVaArb = fc.oneof(
  vaArb,
  fc
    .tuple(fc.integer({ min: 0, max: WINDOW.length - 1 }), fc.oneof(fc.integer({ min: 0, max: 9 }).map((w) => w * 4), fc.constant(0xc00)))
    .map(([k, o]) => (windowVa(k) + o) >>> 0),
);

/**
 * Reads of every page of every directory entry in both address spaces (ending in `last`):
 * every table gets a shadow (and is traced) with entries filled (and cached in the TLB)
 * beyond those a few traced stores would clear.
 */
const warmUp = (last: number): Op[] => [last === PD1 ? PD2 : PD1, last].flatMap((pd): Op[] => [
  { kind: 'switch', pd },
  ...[0, 1, 768].flatMap((d) => Array.from({ length: PAGES }, (_, p): Op => ({ kind: 'read', va: ((d << 22) | (p << 12)) >>> 0, user: false }))),
  ...WINDOW.map((_, k): Op => ({ kind: 'read', va: windowVa(k), user: false })),
]);

const windowOpArb: fc.Arbitrary<Op | Op[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(PD1, PD2).map(warmUp) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), va: windowVaArb, user: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      va: windowVaArb,
      user: fc.boolean(),
      value: valueArb,
      size: fc.constantFrom(1 as const, 4 as const),
    }),
  },
  { weight: 2, arbitrary: burstArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('switch' as const), pd: fc.constantFrom(PD1, PD2) }) },
);

/** Every frame that can serve as a directory or page table. */
const TABLE_FRAMES = [...new Set([...FRAMES, ...WINDOW])].filter((f) => f < GUEST);

const access = (m: Cpu, op: Exclude<Op, { kind: 'switch' }>): string => {
  if (op.kind === 'read') return `ok:${m.read32(op.va) >>> 0}`;
  if (op.size === 4) m.write32(op.va, op.value);
  else m.write8(op.va, op.value);
  return 'ok';
};

const outcomeOfFault = (e: unknown): string => {
  if (!(e instanceof GuestFault)) throw e;
  if (e.vector === Vector.pageFault) return `pf:${e.errorCode}@${(e.faultAddress >>> 0).toString(16)}`;
  if (e.vector === Vector.generalProtection) return 'gp';
  throw new Error(`unexpected vector ${e.vector}`);
};

/** Totals over all runs of a property, to show it exercised every mechanism. */
const emptySeen = () => ({ hiddenFaults: 0, guestFaults: 0, traceFaults: 0, updates: 0, cacheHits: 0, gp: 0, resets: 0, unshadowed: 0, reprotected: 0 });

/**
 * Run `ops` natively and under a pager, comparing every outcome and the final guest memory.
 * Counts into `seen`; `reprotected` counts frames that were unshadowed and later protected again.
 */
const runCase = (
  seen: ReturnType<typeof emptySeen>,
  layout: Layout,
  ops: readonly Op[],
  cacheRoots: number,
  vmmFrames: number,
  unshadowAfter?: number,
): void => {
  const nat = uniprocessor({ memoryBytes: GUEST });
  // a VMM pool of only a few frames makes the pager start over now and then
  const vm = uniprocessor({ memoryBytes: GUEST + vmmFrames * 4096 });
  vm.ledger.declare(SHADOW_PAGING_COUNTERS);
  const pager = new ShadowPager(vm, GUEST, { cacheRoots, unshadowAfter });
  build(nat, layout);
  build(vm, layout);
  nat.writeControlRegister(3, PD1);
  nat.writeControlRegister(0, 1);
  pager.setGuestPaging(true, PD1);
  const unprotected = new Set<number>();
  for (const [i, op] of ops.entries()) {
    const before = pager.unshadowed;
    const protectedBefore = TABLE_FRAMES.filter((f) => pager.isWriteProtected(f));
    if (op.kind === 'switch') {
      nat.writeControlRegister(3, op.pd);
      pager.setGuestPaging(true, op.pd);
    } else {
      nat.cpl = op.user ? 3 : 0;
      let expected: string;
      try {
        expected = access(nat, op);
      } catch (e) {
        expected = outcomeOfFault(e);
      }
      if (op.kind === 'write') nat.mmu.flush();

      vm.cpl = op.user ? 3 : 1;
      const vcpl = op.user ? 3 : 0;
      let actual: string | null = null;
      for (let tries = 0; tries < 4 && actual === null; tries++) {
        try {
          actual = access(vm, op);
        } catch (e) {
          if (!(e instanceof GuestFault) || e.vector !== Vector.pageFault) throw e;
          const v = pager.onPageFault(e.faultAddress, e.errorCode, vcpl);
          if (v.kind === 'guest') actual = v.outsideGuestMemory ? 'gp' : `pf:${v.errorCode}@${(v.address >>> 0).toString(16)}`;
          else if (v.kind === 'trace') {
            if (op.kind !== 'write') throw new Error('trace on a read');
            expect(pager.emulateWrite(op.va, op.value, op.size, vcpl), 'emulateWrite after a trace').to.equal(true);
            actual = 'ok';
          }
        }
      }
      expect(actual, `op ${i} ${JSON.stringify(op)}`).to.equal(expected);
      if (actual === 'gp') seen.gp++;
    }
    if (pager.unshadowed > before) for (const f of protectedBefore) if (!pager.isWriteProtected(f)) unprotected.add(f);
    for (const f of unprotected)
      if (pager.isWriteProtected(f)) {
        seen.reprotected++;
        unprotected.delete(f);
      }
  }
  seen.resets += pager.resets;
  seen.unshadowed += pager.unshadowed;
  for (const k of ['hiddenFaults', 'guestFaults', 'traceFaults', 'updates', 'cacheHits'] as const) seen[k] += vmmCountsOf(vm).shadowPaging[k];
  for (let a = 0; a < GUEST; a += 4) {
    const n = nat.memory.i32[a >>> 2];
    const v = vm.memory.i32[a >>> 2];
    if (n !== v) expect(`0x${(v >>> 0).toString(16)} at 0x${a.toString(16)}`).to.equal(`0x${(n >>> 0).toString(16)} at 0x${a.toString(16)}`);
  }
};

describe('strategies/shared: shadow paging is equivalent to the native MMU', () => {
  it('same outcomes and same guest memory for random tables and access sequences', () => {
    const seen = emptySeen();
    fc.assert(
      fc.property(
        layoutArb,
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(2, 3, 4, 256),
        fc.constantFrom(undefined, 1, 2, Infinity),
        (layout, ops, cacheRoots, vmmFrames, unshadowAfter) => runCase(seen, layout, ops, cacheRoots, vmmFrames, unshadowAfter),
      ),
      { numRuns: 300 },
    );
    // (unshadowing needs a burst of stores to a table outside the active address space: the second property's business)
    for (const [k, n] of Object.entries(seen)) if (k !== 'unshadowed' && k !== 'reprotected') expect(n, k).to.be.above(0);
  });

  it('page-table frames freed, reused as data (bursts of stores) and reused as page tables again', () => {
    const seen = emptySeen();
    const windowLayoutArb = fc
      .tuple(layoutArb, fc.array(windowFlagsArb, { minLength: WINDOW.length, maxLength: WINDOW.length }))
      .map(([l, window]) => ({ ...l, window }));
    fc.assert(
      fc.property(
        windowLayoutArb,
        fc.tuple(fc.constantFrom(PD1, PD2), fc.array(windowOpArb, { minLength: 1, maxLength: 40 })).map(([pd, ops]) => [...warmUp(pd), ...ops.flat()]),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(4, 256, 256),
        fc.constantFrom(1, 2, 3, 8, Infinity),
        (layout, ops, cacheRoots, vmmFrames, unshadowAfter) => runCase(seen, layout, ops, cacheRoots, vmmFrames, unshadowAfter),
      ),
      { numRuns: 500 },
    );
    for (const [k, n] of Object.entries(seen)) expect(n, k).to.be.above(0);
  });
});
