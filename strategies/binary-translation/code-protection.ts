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
import { VMM_DIR } from './layout';

/** Which guest frames hold translated code, kept read-only in the shadow tables. */
export class CodeProtection {
  private readonly protectedFrames: Uint8Array;
  private epoch = 0;
  private readonly scanned = new Map<number, number>();

  /** Protection for the guest frames of [0, `guestMemoryBytes`) on machine `m`. */
  constructor(
    private readonly m: Cpu,
    guestMemoryBytes: number,
  ) {
    this.protectedFrames = new Uint8Array(Math.ceil(guestMemoryBytes / PAGE_SIZE));
  }

  /** Whether guest frame `frame` (page base) is protected. */
  isProtected(frame: number): boolean {
    const f = frame >>> 12;
    return f < this.protectedFrames.length && this.protectedFrames[f] !== 0;
  }

  /** Protect guest frame `frame`: remove write access in the active root now, in the others when they become active. */
  protect(frame: number): void {
    const f = frame >>> 12;
    if (f >= this.protectedFrames.length || this.protectedFrames[f] !== 0) return;
    this.protectedFrames[f] = 1;
    this.epoch++;
    this.scan(this.m.cr[3]);
  }

  /** Stop protecting guest frame `frame` (its translations were invalidated). */
  unprotect(frame: number): void {
    const f = frame >>> 12;
    if (f < this.protectedFrames.length) this.protectedFrames[f] = 0;
  }

  /** Shadow root `root` (machine cr3) is active: scan it if frames were protected since its last scan. */
  onActiveRoot(root: number): void {
    if (this.scanned.get(root) !== this.epoch) this.scan(root);
  }

  /** The pager filled the shadow entry of linear `va` in the active root: downgrade it if it maps protected code. */
  afterFill(va: number): void {
    const mem = this.m.memory.i32;
    const root = this.m.cr[3] & FRAME_MASK;
    const pde = mem[(root >>> 2) + (va >>> 22)];
    if ((pde & Pte.present) === 0) return;
    const addr = ((pde & FRAME_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
    if (addr >= this.m.memory.size) return;
    this.downgrade(addr, va, true);
  }

  /** Remove write access from every entry of `root` that maps a protected frame. */
  private scan(root: number): void {
    this.scanned.set(root, this.epoch);
    const mem = this.m.memory.i32;
    const active = root === this.m.cr[3];
    const dirBase = (root & FRAME_MASK) >>> 2;
    for (let dir = 0; dir < 1024; dir++) {
      if (dir === VMM_DIR) continue;
      const pde = mem[dirBase + dir];
      if ((pde & Pte.present) === 0) continue;
      const table = (pde & FRAME_MASK) >>> 0;
      if (table >= this.m.memory.size) continue;
      for (let k = 0; k < 1024; k++) this.downgrade(table + k * 4, ((dir << 22) | (k << 12)) >>> 0, active);
    }
  }

  /** Clear the writable bit of the shadow PTE at machine address `addr` (mapping `va`) if it maps protected code. */
  private downgrade(addr: number, va: number, active: boolean): void {
    const mem = this.m.memory.i32;
    const pte = mem[addr >>> 2];
    if ((pte & (Pte.present | Pte.writable)) !== (Pte.present | Pte.writable)) return;
    if (!this.isProtected((pte & FRAME_MASK) >>> 0)) return;
    mem[addr >>> 2] = pte & ~Pte.writable;
    if (active) {
      this.m.mmu.invalidate(va);
      this.m.events.emit({ kind: 'invlpg', t: this.m.time, address: va });
    }
  }
}
