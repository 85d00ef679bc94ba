/**
 * Guest memory as the monitor sees it: linear addresses translated through the guest's own
 * page tables (never through the shadow, so the monitor itself never faults). A failed
 * translation is a value, for the monitor to turn into a guest page fault.
 * @category VMM
 */
import type { Cpu } from '../../core/cpu/cpu';

/** Translates a guest linear address to a machine address, or null if the guest has no mapping. */
export type GuestTranslate = (va: number, write: boolean) => number | null;

/** Read/write guest linear memory. */
export class GuestMemory {
  /**
   * Told the machine address of every word or byte written (a VMM that keeps code translated
   * from guest memory drops what the monitor's own writes change: emulated pushes, exception
   * frames); none by default.
   */
  onWrite: ((pa: number) => void) | null = null;

  constructor(
    private readonly m: Cpu,
    private readonly translate: GuestTranslate,
  ) {}

  /** Read a 32-bit word; null if unmapped. */
  read32(va: number): number | null {
    const pa = this.translate(va, false);
    if (pa === null) return null;
    if ((va & 0xfff) <= 0xffc) return this.m.memory.read32(pa);
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const p = this.translate((va + i) | 0, false);
      if (p === null) return null;
      v |= this.m.memory.u8[p] << (8 * i);
    }
    return v;
  }

  /** Write a 32-bit word; false if unmapped or read-only for the guest. */
  write32(va: number, v: number): boolean {
    if ((va & 0xfff) <= 0xffc) {
      const pa = this.translate(va, true);
      if (pa === null) return false;
      this.m.memory.write32(pa, v);
      this.onWrite?.(pa);
      return true;
    }
    const ps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const p = this.translate((va + i) | 0, true);
      if (p === null) return false;
      ps.push(p);
    }
    ps.forEach((p, i) => {
      this.m.memory.u8[p] = v >>> (8 * i);
      this.onWrite?.(p);
    });
    return true;
  }
}
