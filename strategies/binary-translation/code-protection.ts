/**
 * Write protection of guest frames that hold translated code, so that a guest writing its
 * own kernel code (through any alias: the identity map, the direct map ...) traps and the
 * translations read from that frame can be invalidated.
 *
 * The shared {@link ShadowPager} write-protects only the frames it uses as guest page
 * tables and offers no API to protect others, so this layer keeps its own invariant on top
 * of it, reading and patching the shadow tables it can reach from the machine's cr3:
 *
 * - no shadow PTE reachable from the active shadow root maps a protected frame writable;
 * - when a frame becomes protected, the active root is scanned and write access removed
 *   (with a TLB invalidation of each page changed); every other root is scanned when it
 *   next becomes active (an epoch per root);
 * - after every hidden fault the pager filled one entry: it is checked and downgraded.
 *
 * A write fault on a protected frame that the guest's own tables allow is self-modifying
 * code: the monitor invalidates the frame's translations and {@link unprotect}s it; the
 * pager then restores write access by its ordinary hidden-fault path.
 * @category Binary translation
 */
import type { Cpu } from '../../core/cpu/cpu';

import { FRAME_MASK, PAGE_SIZE, Pte } from '../../core/mmu/pte';
import { flushTlb, vmmIpi } from '../shared/vmm-ipi';
import { VMM_DIR } from './layout';

/** Which guest frames hold translated code, kept read-only in the shadow tables; one for all the guest's vCPUs. */
export class CodeProtection {
  private readonly protectedFrames: Uint8Array;
  private epoch = 0;
  private readonly scanned = new Map<number, number>();

  /**
   * Protection for the guest frames of [0, `guestMemoryBytes`) on the vCPUs `cpus` (they
   * share the shadow tables, so the frames are protected for all of them).
   */
  constructor(
    private readonly cpus: readonly Cpu[],
    guestMemoryBytes: number,
  ) {
    this.protectedFrames = new Uint8Array(Math.ceil(guestMemoryBytes / PAGE_SIZE));
  }

  /** Whether guest frame `frame` (page base) is protected. */
  isProtected(frame: number): boolean {
    const f = frame >>> 12;
    return f < this.protectedFrames.length && this.protectedFrames[f] !== 0;
  }

  /**
   * vCPU `m` protects guest frame `frame`: write access goes in its active root now, and in
   * the roots other vCPUs run on (whose TLBs `m`'s VMM then flushes of the pages changed, by
   * its IPI); in the other roots when they become active.
   */
  protect(m: Cpu, frame: number): void {
    const f = frame >>> 12;
    if (f >= this.protectedFrames.length || this.protectedFrames[f] !== 0) return;
    this.protectedFrames[f] = 1;
    this.epoch++;
    this.changedIn.set(m.cr[3], this.scan(m, m.cr[3]));
    for (const other of this.cpus) {
      if (other === m || !other.mmu.paging) continue;
      const root = other.cr[3];
      const changed = this.scanned.get(root) === this.epoch ? this.changedIn.get(root) ?? [] : this.scan(m, root);
      this.changedIn.set(root, changed);
      if (changed.length === 0) continue;
      vmmIpi(m, other);
      for (const va of changed) flushTlb(other, va);
    }
    this.changedIn.clear();
  }

  /** Pages whose entries the current protect changed, by root (for the vCPUs on each). */
  private readonly changedIn = new Map<number, number[]>();

  /** Stop protecting guest frame `frame` (its translations were invalidated). */
  unprotect(frame: number): void {
    const f = frame >>> 12;
    if (f < this.protectedFrames.length) this.protectedFrames[f] = 0;
  }

  /** Shadow root `root` (machine cr3) is active on vCPU `m`: scan it if frames were protected since its last scan. */
  onActiveRoot(m: Cpu, root: number): void {
    if (this.scanned.get(root) !== this.epoch) this.scan(m, root);
  }

  /** The pager filled the shadow entry of linear `va` in `m`'s active root: downgrade it if it maps protected code. */
  afterFill(m: Cpu, va: number): void {
    const mem = m.memory.i32;
    const root = m.cr[3] & FRAME_MASK;
    const pde = mem[(root >>> 2) + (va >>> 22)];
    if ((pde & Pte.present) === 0) return;
    const addr = ((pde & FRAME_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
    if (addr >= m.memory.size) return;
    this.downgrade(m, addr, va, true);
  }

  /**
   * Remove write access from every entry of `root` that maps a protected frame (invalidating
   * the pages in `m`'s TLB if it is `m`'s active root); returns the pages changed.
   */
  private scan(m: Cpu, root: number): number[] {
    this.scanned.set(root, this.epoch);
    const mem = m.memory.i32;
    const active = root === m.cr[3];
    const dirBase = (root & FRAME_MASK) >>> 2;
    const changed: number[] = [];
    for (let dir = 0; dir < 1024; dir++) {
      if (dir === VMM_DIR) continue;
      const pde = mem[dirBase + dir];
      if ((pde & Pte.present) === 0) continue;
      const table = (pde & FRAME_MASK) >>> 0;
      if (table >= m.memory.size) continue;
      for (let k = 0; k < 1024; k++) {
        const va = ((dir << 22) | (k << 12)) >>> 0;
        if (this.downgrade(m, table + k * 4, va, active)) changed.push(va);
      }
    }
    return changed;
  }

  /** Clear the writable bit of the shadow PTE at machine address `addr` (mapping `va`) if it maps protected code; true if it did. */
  private downgrade(m: Cpu, addr: number, va: number, active: boolean): boolean {
    const mem = m.memory.i32;
    const pte = mem[addr >>> 2];
    if ((pte & (Pte.present | Pte.writable)) !== (Pte.present | Pte.writable)) return false;
    if (!this.isProtected((pte & FRAME_MASK) >>> 0)) return false;
    mem[addr >>> 2] = pte & ~Pte.writable;
    if (active) {
      m.mmu.invalidate(va);
      m.events.emit({ kind: 'invlpg', t: m.time, address: va });
    }
    return true;
  }
}
