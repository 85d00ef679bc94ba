/**
 * Where the binary-translation VMM lives: its machine memory above guest RAM, the linear
 * range it reserves in every guest address space, the words of virtual CPU state the
 * translated code reads and writes, and the software-interrupt vectors translated code
 * uses to enter the monitor.
 *
 * Machine-physical layout, from `vmmBase` = guest RAM + the shadow pager's pool:
 * ```
 *  vmmBase + 0x0000   page table of the reserved linear range (one 4 MiB directory slot)
 *  vmmBase + 0x1000   VMM data page: virtual IF, spill slot, virtual IDT base, virtual cr0-cr15
 *  vmmBase + 0x2000   doorbell page (mapped while no virtual interrupt is pending)
 *  vmmBase + 0x3000   translation cache (at most MAX_CACHE_BYTES)
 * ```
 * Linear layout (supervisor-only, inserted into every shadow root at directory slot
 * {@link VMM_DIR}; guest user code cannot reach it, the guest kernel never touches it):
 * ```
 *  0xFF000000  VMM data page (read/write)
 *  0xFF001000  doorbell page (read-only; not present while a virtual interrupt is pending)
 *  0xFF002000  translation cache (read-only to the guest: only the monitor writes it)
 * ```
 * @category Binary translation
 */
import { PAGE_SIZE } from '../../core/mmu/pte';
import type { ReservedRange } from '../reserved-memory';

/** First linear address the VMM reserves in every guest address space. */
export const VMM_VA = 0xff000000 | 0;

/** Page-directory slot of the reserved range (4 MiB). */
export const VMM_DIR = VMM_VA >>> 22;

/** Linear address of the VMM data page. */
export const DATA_VA = VMM_VA;

/** Linear address of the doorbell page. */
export const DOORBELL_VA = (VMM_VA + PAGE_SIZE) | 0;

/** Linear address of the first byte of the translation cache. */
export const TC_VA = (VMM_VA + 2 * PAGE_SIZE) | 0;

/** Largest translation cache (bytes of translated code) the reserved range holds. */
export const MAX_CACHE_BYTES = 2 * 1024 * 1024;

/** Bytes of VMM memory besides the cache: the page table, the data page, the doorbell page. */
export const VMM_FIXED_BYTES = 3 * PAGE_SIZE;

/** Machine memory the shadow pager's frame pool gets (as trap-and-emulate and hardware-assisted). */
export const PAGER_BYTES = 4 * 1024 * 1024;

/** Machine memory the strategy reserves beyond guest RAM. */
export const RESERVED_BYTES = PAGER_BYTES + VMM_FIXED_BYTES + MAX_CACHE_BYTES;

/** Byte offsets of the virtual CPU words in the VMM data page. */
export const DataWord = {
  /** virtual IF: 1 = the guest has interrupts enabled, 0 = disabled (CLI stores r0 here) */
  interruptsEnabled: 0,
  /** spill slot: a guest register saved while translated code borrows it */
  spill: 4,
  /** the guest's interrupt table base (LIDT / SIDT) */
  idtBase: 8,
  /** the guest's control registers cr0..cr15, one word each (RDCR / WRCR cr2, cr4-cr6, cr8) */
  controlRegisters: 0x40,
} as const;

/** Linear address of a data word, as translated code addresses it (`[r0 + address]`). */
export const dataAddress = (offset: number): number => (DATA_VA + offset) | 0;

/** Linear address of virtual control register `n`. */
export const crAddress = (n: number): number => dataAddress(DataWord.controlRegisters + 4 * n);

/**
 * Software-interrupt vectors by which translated code (real ring 1) enters the monitor.
 * The machine offers every INT n to the monitor first; the guest kernel's own INT n is
 * translated into a callout, and guest user code runs at ring 3, so at ring 1 these
 * vectors only ever come from the translation cache.
 */
export const Vec = {
  /** a callout: the monitor emulates the guest instruction the site stands for */
  callout: 0xf0,
  /** indirect control flow (ret, jmpr, callr): the monitor looks the target up in the cache */
  lookup: 0xf1,
  /** an unchained continuation: the monitor translates or finds the target and may chain it */
  exit: 0xf2,
} as const;

/** Machine-physical addresses of the VMM structures, given where VMM memory starts. */
export interface VmmPhysical {
  readonly pageTable: number;
  readonly data: number;
  readonly doorbell: number;
  readonly cache: number;
}

/** Physical layout of the VMM structures starting at `vmmBase` (page-aligned). */
export const vmmPhysical = (vmmBase: number): VmmPhysical => ({
  pageTable: vmmBase,
  data: vmmBase + PAGE_SIZE,
  doorbell: vmmBase + 2 * PAGE_SIZE,
  cache: vmmBase + 3 * PAGE_SIZE,
});

/**
 * The VMM structures at `vmmBase` as reserved ranges: the page table of the reserved linear
 * range (walked, never mapped), the data page (read/write at ring 1: translated code keeps
 * the virtual CPU there), the doorbell page (read-only, never written), the translation cache
 * (read-only and executable at ring 1; only the monitor writes it).
 */
export const vmmReservedRanges = (vmmBase: number): ReservedRange[] => {
  const p = vmmPhysical(vmmBase);
  return [
    { name: 'VMM page table', start: p.pageTable, bytes: PAGE_SIZE, guest: 'none', changes: true },
    { name: 'VMM data page', start: p.data, bytes: PAGE_SIZE, guest: 'write', changes: true },
    { name: 'doorbell page', start: p.doorbell, bytes: PAGE_SIZE, guest: 'read', changes: false },
    { name: 'translation cache', start: p.cache, bytes: MAX_CACHE_BYTES, guest: 'read', changes: true },
  ];
};
