/**
 * The hypervisor's own memory and address range. Machine memory above guest RAM belongs to
 * the hypervisor (the guest's page tables may map only frames below guest RAM), and, as in
 * Xen (Barham et al., SOSP 2003), the hypervisor occupies the top of every address space:
 * the last page-directory slot (`0xffc00000` up) of every page directory the guest uses
 * points at the hypervisor's own page table, which maps the real interrupt table read-only.
 * The guest can never map that slot itself.
 *
 * Layout of the reserved memory, page by page from the end of guest RAM:
 * the real IDT, the page table of the hypervisor slot, the boot page directory (the flat
 * 1:1 view the kernel starts in), then the boot page tables (one per 4 MiB of guest RAM);
 * the last reserved page is the hypercall page.
 * @category Strategies
 */
import { PAGE_SIZE } from '../../core/mmu/pte';
import type { ReservedRange } from '../reserved-memory';

/** The page-directory index the hypervisor owns in every address space. */
export const HYPERVISOR_PDE = 1023;

/** First linear address of the hypervisor's range (the guest may not map at or above it). */
export const HYPERVISOR_BASE = (HYPERVISOR_PDE << 22) >>> 0;

/** Linear address of the real interrupt descriptor table (first page of the hypervisor range). */
export const IDT_LINEAR = HYPERVISOR_BASE;

/**
 * Linear address of the hypercall page (second page of the hypervisor range): code the
 * hypervisor provides and the guest kernel calls, as Xen's hypercall page. Supervisor,
 * read-only, executable at ring 1.
 */
export const HYPERCALL_PAGE_LINEAR = (HYPERVISOR_BASE + PAGE_SIZE) >>> 0;

/** Whether a linear address lies in the hypercall page. */
export const inHypercallPage = (va: number): boolean => va >>> 0 >= HYPERCALL_PAGE_LINEAR && va >>> 0 < HYPERCALL_PAGE_LINEAR + PAGE_SIZE;

/** The most guest RAM the kernel uses (core/guest/README.md: at most 64 MiB). */
export const MAX_GUEST_MEMORY = 64 * 1024 * 1024;

/** Machine memory the hypervisor reserves beyond guest RAM: 3 pages + up to 16 boot tables, rounded up. */
export const HYPERVISOR_RESERVED_BYTES = 32 * PAGE_SIZE;

/** Machine-physical addresses of the hypervisor's pages. */
export interface HypervisorMemory {
  /** the real interrupt descriptor table (256 gates of 8 bytes) */
  readonly idt: number;
  /** the page table behind the hypervisor slot of every page directory */
  readonly slotTable: number;
  /** the boot page directory: guest RAM 1:1, until the guest's first `new_baseptr` */
  readonly bootDirectory: number;
  /** the first boot page table (followed by the others) */
  readonly bootTables: number;
  /** the hypercall page (the last reserved page) */
  readonly hypercallPage: number;
}

/** Where the hypervisor's pages lie for a guest of `guestMemoryBytes`. */
export const hypervisorMemory = (guestMemoryBytes: number): HypervisorMemory => ({
  idt: guestMemoryBytes,
  slotTable: guestMemoryBytes + PAGE_SIZE,
  bootDirectory: guestMemoryBytes + 2 * PAGE_SIZE,
  bootTables: guestMemoryBytes + 3 * PAGE_SIZE,
  hypercallPage: guestMemoryBytes + HYPERVISOR_RESERVED_BYTES - PAGE_SIZE,
});

/** Whether a linear address lies in the hypervisor's range. */
export const inHypervisorRange = (va: number): boolean => va >>> 0 >= HYPERVISOR_BASE;

/**
 * The hypervisor's pages as reserved ranges: the real IDT (read-only at ring 1 through the
 * hypervisor slot; `set_trap_table` rewrites it), the slot's page table and the boot tables
 * (walked, never mapped; the MMU sets their accessed bits), the hypercall page (read-only
 * and executable at ring 1, written once at the start).
 */
export const hypervisorReservedRanges = (h: HypervisorMemory, guestMemoryBytes: number): ReservedRange[] => [
  { name: 'real IDT', start: h.idt, bytes: PAGE_SIZE, guest: 'read', changes: true },
  { name: 'hypervisor slot page table', start: h.slotTable, bytes: PAGE_SIZE, guest: 'none', changes: true },
  { name: 'boot page tables', start: h.bootDirectory, bytes: PAGE_SIZE * (1 + Math.ceil(guestMemoryBytes / (1024 * PAGE_SIZE))), guest: 'none', changes: true },
  { name: 'hypercall page', start: h.hypercallPage, bytes: PAGE_SIZE, guest: 'read', changes: false },
];
