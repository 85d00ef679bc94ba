/**
 * Page-table entry layout (two-level, 4 KiB pages, x86-like). The same layout serves the
 * second-level (nested) tables, where the user bit is ignored.
 * @category MMU
 */

/** Entry bits. */
export const Pte = {
  present: 1 << 0,
  writable: 1 << 1,
  user: 1 << 2,
  accessed: 1 << 5,
  dirty: 1 << 6,
} as const;

/** Mask of the frame address in an entry. */
export const FRAME_MASK = 0xfffff000 | 0;

/** Page size in bytes. */
export const PAGE_SIZE = 4096;

/** Directory index of a virtual address. */
export const dirIndex = (va: number): number => va >>> 22;

/** Table index of a virtual address. */
export const tableIndex = (va: number): number => (va >>> 12) & 0x3ff;

/** Page-fault error-code bits (x86). */
export const PfError = {
  /** 1: protection violation on a present page; 0: page not present */
  present: 1 << 0,
  write: 1 << 1,
  user: 1 << 2,
  fetch: 1 << 4,
} as const;

/** Kind of memory access. */
export const Access = { read: 0, write: 1, fetch: 2 } as const;

/** A kind of memory access. */
export type Access = (typeof Access)[keyof typeof Access];
