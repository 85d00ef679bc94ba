/**
 * Equivalence of shadow paging with the native MMU (Popek & Goldberg): random guest page
 * tables and random sequences of reads, writes (including writes to the guest's own page
 * tables through a linear window) and address-space switches give the same outcome (value
 * read, page-fault error code, #GP) and leave the same guest memory (data, accessed and dirty
 * bits) under the pager as on a bare machine. The native side flushes its TLB after every
 * store (a guest that invalidates what it changed); the virtual side does nothing: the shadow
 * must stay coherent by write protection alone. The VMM frame pool is sometimes tiny, so
 * dropping everything and starting over is exercised too.
 */
import { expect } from 'chai';
import * as fc from 'fast-check';
import { GuestFault } from '../../../core/cpu/fault';
import { Machine } from '../../../core/cpu/machine';
import { emptyVmmEvents } from '../../../core/cost/vmm-events';
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

/** Directory-entry flags per DIRS row, and the entries of PT_A, PT_B, PT_C, PT_K. */
interface Layout {
  readonly pdes: readonly number[];
  readonly ptes: readonly (readonly number[])[];
}

const build = (m: Machine, layout: Layout): void => {
  const ptIndex = [PT_A, PT_B, PT_C, PT_K];
  DIRS.forEach(([pd, dir, pt], i) => m.memory.write32(pd + dir * 4, layout.pdes[i] === 0 ? 0 : pt | layout.pdes[i]));
  ptIndex.forEach((pt, i) => layout.ptes[i].forEach((e, k) => m.memory.write32(pt + k * 4, e)));
  for (const f of FRAMES) if (f < GUEST && f >= 0x20000) for (let o = 0; o < 64; o += 4) m.memory.write32(f + o, (f + o) * 3);
};

const access = (m: Machine, op: Exclude<Op, { kind: 'switch' }>): string => {
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

describe('strategies/shared: shadow paging is equivalent to the native MMU', () => {
  it('same outcomes and same guest memory for random tables and access sequences', () => {
    /** totals over all runs, to show the property exercised every mechanism */
    const seen = { hiddenFaults: 0, guestFaults: 0, traceFaults: 0, updates: 0, cacheHits: 0, gp: 0, resets: 0 };
    fc.assert(
      fc.property(layoutArb, fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom(2, 3, 4, 256), (layout, ops, cacheRoots, vmmFrames) => {
        const nat = new Machine({ memoryBytes: GUEST });
        // a VMM pool of only a few frames makes the pager start over now and then
        const vm = new Machine({ memoryBytes: GUEST + vmmFrames * 4096 });
        const ev = emptyVmmEvents();
        const pager = new ShadowPager(vm, ev, GUEST, { cacheRoots });
        build(nat, layout);
        build(vm, layout);
        nat.writeControlRegister(3, PD1);
        nat.writeControlRegister(0, 1);
        pager.setGuestPaging(true, PD1);
        for (const [i, op] of ops.entries()) {
          if (op.kind === 'switch') {
            nat.writeControlRegister(3, op.pd);
            pager.setGuestPaging(true, op.pd);
            continue;
          }
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
        seen.resets += pager.resets;
        for (const k of ['hiddenFaults', 'guestFaults', 'traceFaults', 'updates', 'cacheHits'] as const) seen[k] += ev.shadowPaging[k];
        for (let a = 0; a < GUEST; a += 4) {
          const n = nat.memory.i32[a >>> 2];
          const v = vm.memory.i32[a >>> 2];
          if (n !== v) expect(`0x${(v >>> 0).toString(16)} at 0x${a.toString(16)}`).to.equal(`0x${(n >>> 0).toString(16)} at 0x${a.toString(16)}`);
        }
      }),
      { numRuns: 300 },
    );
    for (const [k, n] of Object.entries(seen)) expect(n, k).to.be.above(0);
  });
});
