/**
 * Second-level (nested, EPT/NPT-style) page tables for a guest whose guest-physical memory
 * is machine memory at the same addresses: the identity map a hardware-assisted VMM builds
 * when the guest owns its page tables.
 * @category VMM
 */
import type { PhysicalMemory } from '../../core/mmu/memory';
import { Pte } from '../../core/mmu/pte';

/** Bytes the identity second-level tables of `guestBytes` of guest RAM take: the root and a table per 4 MiB. */
export const nestedTablesBytes = (guestBytes: number): number => 4096 * (1 + Math.ceil(guestBytes / 4096 / 1024));

/**
 * Second-level tables mapping guest-physical [0, guestBytes) to the same machine addresses,
 * built in the VMM's memory right after guest RAM. Returns the root.
 */
export const buildIdentityNestedTables = (memory: PhysicalMemory, guestBytes: number): number => {
  const root = guestBytes;
  let next = root + 4096;
  const pages = guestBytes / 4096;
  for (let dir = 0; dir * 1024 < pages; dir++) {
    const table = next;
    next += 4096;
    memory.write32(root + dir * 4, table | Pte.present | Pte.writable | Pte.user);
    for (let i = 0; i < 1024 && dir * 1024 + i < pages; i++) memory.write32(table + i * 4, ((dir * 1024 + i) * 4096) | Pte.present | Pte.writable | Pte.user);
  }
  return root;
};
