/**
 * Guest virtual memory as the hypervisor reaches it on the guest's behalf (Xen's
 * copy_from_guest / copy_to_guest): a software walk of the page tables the MMU is using,
 * honouring the guest's own permissions (a write needs a writable mapping, so a hypercall
 * can never be used to write a page table the guest itself may only read), and reaching
 * only guest RAM. Failures are values (null / false), never exceptions, and the walk does
 * not touch the TLB or its counters: the hypervisor's accesses are part of a hypercall's cost.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

import { FRAME_MASK, Pte } from '../../core/mmu/pte';
import { GuestMemory } from '../shared/guest-memory';

/**
 * Translate a guest linear address through the current tables (supervisor access), or null
 * when unmapped, not writable for a write, or outside guest RAM.
 */
export const translateForGuest = (m: Cpu, guestMemoryBytes: number, va: number, write: boolean): number | null => {
  const mem = m.memory.i32;
  const pde = mem[(((m.mmu.root & FRAME_MASK) >>> 0) + (va >>> 22) * 4) >>> 2];
  if ((pde & Pte.present) === 0) return null;
  const pteAddress = ((pde & FRAME_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
  if (pteAddress >= m.memory.size) return null;
  const pte = mem[pteAddress >>> 2];
  if ((pte & Pte.present) === 0) return null;
  if (write && (pde & pte & Pte.writable) === 0) return null;
  const frame = (pte & FRAME_MASK) >>> 0;
  if (frame >= guestMemoryBytes) return null;
  return frame + (va & 0xfff);
};

/** The guest's memory as the hypervisor reads and writes it on the guest's behalf. */
export class GuestView {
  private readonly words: GuestMemory;

  constructor(
    private readonly m: Cpu,
    private readonly guestMemoryBytes: number,
  ) {
    this.words = new GuestMemory(m, (va, write) => translateForGuest(m, guestMemoryBytes, va, write));
  }

  /** Read a 32-bit word; null if unmapped. */
  read32(va: number): number | null {
    return this.words.read32(va);
  }

  /** Write a 32-bit word; false if unmapped or read-only to the guest. */
  write32(va: number, v: number): boolean {
    return this.words.write32(va, v);
  }

  /** Read a byte; null if unmapped. */
  read8(va: number): number | null {
    const pa = translateForGuest(this.m, this.guestMemoryBytes, va, false);
    return pa === null ? null : this.m.memory.u8[pa];
  }

  /** Whether every byte of [va, va + bytes) is mapped (writable, if `write`). */
  canAccess(va: number, bytes: number, write: boolean): boolean {
    if (bytes <= 0) return true;
    const end = (va >>> 0) + bytes - 1;
    if (end > 0xffffffff) return false;
    for (let page = (va >>> 0) & ~0xfff; page <= end; page += 0x1000) {
      const at = Math.max(page, va >>> 0);
      if (translateForGuest(this.m, this.guestMemoryBytes, at | 0, write) === null) return false;
    }
    return true;
  }
}
