/**
 * Where the binary-translation VMM lives: its machine memory above guest RAM, the linear
 * range it reserves in every guest address space, the words of virtual CPU state the
 * translated code reads and writes, and the software-interrupt vectors translated code
 * uses to enter the monitor.
 *
 * Each vCPU has its own area: a data page, a doorbell page and a translation cache, so the
 * translated code of a vCPU addresses its own virtual CPU with absolute addresses (no
 * register or CPU number needed) and one page table, in one directory entry shared by every
 * shadow root, maps all of them. vCPU k's area starts `k` strides after vCPU 0's, a stride
 * being the two pages and the cache ({@link vcpuStride}); vCPU 0's is where a uniprocessor
 * guest's always was.
 *
 * Machine-physical layout, from `vmmBase` = guest RAM + the shadow pager's pool:
 * ```
 *  vmmBase + 0x0000   page table of the reserved linear range (one 4 MiB directory slot)
 *  vmmBase + 0x1000   vCPU 0: VMM data page: virtual IF, spill slot, virtual IDT base, virtual cr0-cr15
 *  vmmBase + 0x2000   vCPU 0: doorbell page (mapped while no virtual interrupt is pending)
 *  vmmBase + 0x3000   vCPU 0: translation cache (at most MAX_CACHE_BYTES)
 *  vmmBase + 0x1000 + k * stride   vCPU k's data page, doorbell page, cache
 * ```
 * Linear layout (supervisor-only, inserted into every shadow root at directory slot
 * {@link VMM_DIR}; guest user code cannot reach it, the guest kernel never touches it):
 * ```
 *  0xFF000000  vCPU 0: VMM data page (read/write)
 *  0xFF001000  vCPU 0: doorbell page (read-only; not present while a virtual interrupt is pending)
 *  0xFF002000  vCPU 0: translation cache (read-only to the guest: only the monitor writes it)
 *  0xFF000000 + k * stride   vCPU k's data page, doorbell page, cache
 * ```
 * @category Binary translation
 */
import { PAGE_SIZE, Pte } from '../../core/mmu/pte';
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

/** Bytes of linear (and machine) memory the vCPUs' areas share: one directory slot. */
export const VCPU_AREAS_BYTES = 4 * 1024 * 1024;

/** Machine memory the strategy reserves beyond guest RAM: the pager's pool, the VMM page table, the vCPUs' areas. */
export const RESERVED_BYTES = PAGER_BYTES + PAGE_SIZE + VCPU_AREAS_BYTES;

/** The most vCPUs a guest of the binary-translation VMMs has. */
export const MAX_VCPUS = 8;

/** Bytes from one vCPU's area to the next: data page, doorbell page and a cache of `cacheBytes` (page-rounded). */
export const vcpuStride = (cacheBytes: number): number => 2 * PAGE_SIZE + Math.ceil(cacheBytes / PAGE_SIZE) * PAGE_SIZE;

/** How many vCPUs' areas with caches of `cacheBytes` fit the reserved range (at most {@link MAX_VCPUS}). */
export const vcpusThatFit = (cacheBytes: number): number => Math.min(MAX_VCPUS, Math.floor(VCPU_AREAS_BYTES / vcpuStride(cacheBytes)));

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

/** Machine-physical addresses of the VMM structures of one vCPU, given where VMM memory starts. */
export interface VmmPhysical {
  readonly pageTable: number;
  readonly data: number;
  readonly doorbell: number;
  readonly cache: number;
}

/**
 * Physical layout of the VMM structures starting at `vmmBase` (page-aligned): the shared page
 * table and vCPU `index`'s area (caches of `cacheBytes`; vCPU 0's area does not depend on it).
 */
export const vmmPhysical = (vmmBase: number, index = 0, cacheBytes = 0): VmmPhysical => {
  const area = vmmBase + PAGE_SIZE + index * vcpuStride(cacheBytes);
  return { pageTable: vmmBase, data: area, doorbell: area + PAGE_SIZE, cache: area + 2 * PAGE_SIZE };
};

/** Linear addresses of one vCPU's data page, doorbell page and translation cache. */
export interface VmmLinear {
  readonly data: number;
  readonly doorbell: number;
  readonly cache: number;
}

/** Linear layout of vCPU `index`'s area (caches of `cacheBytes`); vCPU 0's is DATA_VA, DOORBELL_VA, TC_VA. */
export const vmmLinear = (index = 0, cacheBytes = 0): VmmLinear => {
  const area = (VMM_VA + index * vcpuStride(cacheBytes)) | 0;
  return { data: area, doorbell: (area + PAGE_SIZE) | 0, cache: (area + 2 * PAGE_SIZE) | 0 };
};

/**
 * Write vCPU `index`'s entries into the VMM page table at machine address `pageTable`: its
 * data page (read/write), doorbell page and `cacheBytes` of translation cache (read-only),
 * supervisor only.
 */
export const mapVcpuArea = (i32: Int32Array, physical: VmmPhysical, linear: VmmLinear, cacheBytes: number): void => {
  const pt = physical.pageTable >>> 2;
  const slot = (va: number): number => pt + (((va - VMM_VA) >>> 0) >>> 12);
  const flags = Pte.present | Pte.accessed;
  i32[slot(linear.data)] = physical.data | flags | Pte.writable | Pte.dirty;
  i32[slot(linear.doorbell)] = physical.doorbell | flags;
  for (let k = 0; k * PAGE_SIZE < cacheBytes; k++) i32[slot(linear.cache) + k] = (physical.cache + k * PAGE_SIZE) | flags;
};

/**
 * The VMM structures at `vmmBase` as reserved ranges, for `vcpus` vCPUs with caches of
 * `cacheBytes`: the page table of the reserved linear range (walked, never mapped), and each
 * vCPU's data page (read/write at ring 1: translated code keeps the virtual CPU there), doorbell
 * page (read-only, never written) and translation cache (read-only and executable at ring 1;
 * only the monitor writes it).
 */
export const vmmReservedRanges = (vmmBase: number, vcpus: number, cacheBytes: number): ReservedRange[] => [
  { name: 'VMM page table', start: vmmBase, bytes: PAGE_SIZE, guest: 'none', changes: true },
  ...Array.from({ length: vcpus }, (_, i): ReservedRange[] => {
    const p = vmmPhysical(vmmBase, i, cacheBytes);
    const of = vcpus > 1 ? ` of vCPU ${i}` : '';
    return [
      { name: `VMM data page${of}`, start: p.data, bytes: PAGE_SIZE, guest: 'write', changes: true },
      { name: `doorbell page${of}`, start: p.doorbell, bytes: PAGE_SIZE, guest: 'read', changes: false },
      { name: `translation cache${of}`, start: p.cache, bytes: Math.ceil(cacheBytes / PAGE_SIZE) * PAGE_SIZE, guest: 'read', changes: true },
    ];
  }).flat(),
];
