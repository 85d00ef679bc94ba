/**
 * Direct paging with validation: the guest's page tables are what the MMU walks, every
 * page-table page is read-only to the guest, updates are validated by the type of the frame
 * they write, and freed page-table pages return to data when the guest reuses them.
 */
import { expect } from 'chai';
import { FRAME_MASK, PAGE_SIZE, Pte } from '../../../core/mmu/pte';
import { GUEST_MEMORY_BYTES } from '../../../core/guest/layout';
import { Errno } from '../../../strategies/paravirt/guest-abi';
import { HYPERVISOR_PDE } from '../../../strategies/paravirt/hypervisor-memory';
import { runPv, type PvRun } from './harness';

const KPT = 0x00300000;
const KPD = 0x00301000;
const DIRECT_MAP = 0xc0000000;
const SCRATCH_PTE = KPT + (0x003fe000 >>> 12) * 4;

/** The effective leaf entry for `va` in the current tables, or null. */
const leaf = (r: PvRun, va: number): { pde: number; pte: number } | null => {
  const mem = r.m.memory;
  const pde = mem.read32(((r.m.mmu.root & FRAME_MASK) >>> 0) + (va >>> 22) * 4);
  if ((pde & Pte.present) === 0) return null;
  const pte = mem.read32(((pde & FRAME_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4);
  return (pte & Pte.present) === 0 ? null : { pde, pte };
};

/** Frames of guest RAM with a page-table type. */
const pageTables = (r: PvRun): number[] => {
  const out: number[] = [];
  for (let pa = 0; pa < GUEST_MEMORY_BYTES; pa += PAGE_SIZE) if (r.hv.pager.frameType(pa) !== 'data') out.push(pa);
  return out;
};

describe('paravirt: direct paging with validation', function () {
  this.timeout(60_000);

  it('the MMU walks the guest\'s own directory, and every page-table page is mapped read-only', () => {
    const r = runPv('pgfault', 10);
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
    expect(r.hv.pager.frameType(r.m.mmu.root)).to.equal('l2');
    const tables = pageTables(r);
    expect(tables).to.include.members([KPT, KPD, r.m.mmu.root >>> 0]);
    for (const pa of tables)
      for (const va of [pa < 0x400000 ? pa : -1, DIRECT_MAP + pa].filter((v) => v >= 0)) {
        const e = leaf(r, va);
        expect(e, `mapping of 0x${pa.toString(16)} at 0x${(va >>> 0).toString(16)}`).to.not.equal(null);
        expect(e!.pde & e!.pte & Pte.writable, `page table 0x${pa.toString(16)} writable at 0x${(va >>> 0).toString(16)}`).to.equal(0);
      }
    // ordinary kernel data stays writable
    expect(leaf(r, 0x00303000)!.pte & Pte.writable).to.equal(Pte.writable);
  });

  it('refuses to map a frame beyond guest RAM, in a page table or a directory', () => {
    const r = runPv('syscall', 1);
    const before = r.m.memory.read32(SCRATCH_PTE);
    expect(r.hv.pager.update(SCRATCH_PTE, GUEST_MEMORY_BYTES | Pte.present)?.errno).to.equal(Errno.EINVAL);
    expect(r.hv.pager.update(SCRATCH_PTE, (GUEST_MEMORY_BYTES + 0x10000) | Pte.present | Pte.writable)?.errno).to.equal(Errno.EINVAL);
    expect(r.hv.pager.update(KPD + 4 * 2, GUEST_MEMORY_BYTES | Pte.present)?.errno).to.equal(Errno.EINVAL);
    expect(r.m.memory.read32(SCRATCH_PTE)).to.equal(before);
    // a not-present entry may hold anything
    expect(r.hv.pager.update(SCRATCH_PTE, GUEST_MEMORY_BYTES)).to.equal(null);
  });

  it('refuses a writable mapping of a page-table page, accepts a read-only one', () => {
    const r = runPv('syscall', 1);
    for (const table of [KPT, KPD, r.m.mmu.root >>> 0]) {
      const refusal = r.hv.pager.update(SCRATCH_PTE, table | Pte.present | Pte.writable);
      expect(refusal?.errno).to.equal(Errno.EPERM);
      expect(refusal?.why).to.match(/writable/);
      expect(r.hv.pager.update(SCRATCH_PTE, table | Pte.present)).to.equal(null);
    }
  });

  it('the hypervisor slot of a directory is not the guest\'s', () => {
    const r = runPv('syscall', 1);
    const slot = KPD + HYPERVISOR_PDE * 4;
    const mine = r.m.memory.read32(slot);
    expect(mine & Pte.present).to.equal(Pte.present);
    expect(r.hv.pager.update(slot, 0)?.errno).to.equal(Errno.EPERM);
    expect(r.m.memory.read32(slot)).to.equal(mine);
  });

  it('a directory entry pointing at a fresh table validates it, types it and write-protects it', () => {
    const r = runPv('syscall', 1);
    const table = 0x007f0000;
    r.m.memory.u8.fill(0, table, table + PAGE_SIZE);
    r.m.memory.write32(table, GUEST_MEMORY_BYTES | Pte.present);
    const pde = KPD + 4 * 0x200;
    expect(r.hv.pager.update(pde, table | Pte.present | Pte.writable)?.errno).to.equal(Errno.EINVAL);
    expect(r.hv.pager.frameType(table)).to.equal('data');
    r.m.memory.write32(table, 0x00500000 | Pte.present | Pte.writable);
    expect(r.hv.pager.update(pde, table | Pte.present | Pte.writable)).to.equal(null);
    expect(r.hv.pager.frameType(table)).to.equal('l1');
    // the direct map's entry for it (first direct-map table, 0x00310000) lost its write permission
    const mapping = r.m.memory.read32(0x00310000 + (table >>> 12) * 4);
    expect(mapping & Pte.writable).to.equal(0);
    // and a directory cannot be used as a page table
    expect(r.hv.pager.update(KPD + 4 * 0x201, KPD | Pte.present)?.errno).to.equal(Errno.EINVAL);
  });

  it('a write to a live page table is the guest\'s own fault; to a dead one, a release', () => {
    const r = runPv('syscall', 1);
    expect(r.hv.pager.writeFault(DIRECT_MAP + KPT).kind).to.equal('in-use');
    expect(r.hv.pager.writeFault(DIRECT_MAP + (r.m.mmu.root >>> 0)).kind).to.equal('in-use');
    expect(r.hv.pager.writeFault(0x00303000).kind).to.equal('not-protected');
  });

  it('forkwait: each exited child\'s directory and table return to data when the kernel reuses them', () => {
    const n = 5;
    const r = runPv('forkwait', n);
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
    expect(r.vmm.traps['page-table release']).to.equal(n);
    // left: the kernel's tables (KPD, KPT, the direct map) and process 1's directory and table
    const tables = pageTables(r);
    expect(tables.filter((pa) => r.hv.pager.frameType(pa) === 'l2')).to.have.lengthOf(2);
    expect(tables).to.have.lengthOf(2 + 1 + 2 + 1);
  });
});

describe('paravirt: isolation invariants', function () {
  this.timeout(60_000);

  for (const w of ['pgfault', 'forkwait', 'ptemod', 'io'] as const)
    it(`hold after ${w}`, () => {
      const r = runPv(w, 5);
      expect(r.stop.kind).to.equal('shutdown');
      expect(r.hv.pager.isolationViolations()).to.deep.equal([]);
    });

  it('are violated by a writable mapping of a page table written behind the pager\'s back, and by a lost hypervisor slot', () => {
    const r = runPv('syscall', 1);
    const root = (r.m.mmu.root & FRAME_MASK) >>> 0;
    r.m.memory.write32(SCRATCH_PTE, KPT | Pte.present | Pte.writable);
    r.m.memory.write32(root + HYPERVISOR_PDE * 4, 0);
    const v = r.hv.pager.isolationViolations();
    expect(v.some((s) => /maps page-table page 0x300000 writable/.test(s)), v.join('\n')).to.equal(true);
    expect(v.some((s) => /lost the hypervisor's slot/.test(s)), v.join('\n')).to.equal(true);
  });
});
