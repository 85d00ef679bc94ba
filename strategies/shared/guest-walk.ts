/**
 * A software walk of the guest's own two-level page tables, as a VMM does it: the tables
 * live in guest RAM (guest-physical = machine-physical below `guestMemoryBytes`), nothing
 * is written, and every outcome is a value. {@link guestAccessError} then says whether the
 * access would be allowed and, if not, which page-fault error code a real MMU would give.
 * @category Strategies
 */
import type { PhysicalMemory } from '../../core/mmu/memory';
import { Access, FRAME_MASK, PfError, Pte } from '../../core/mmu/pte';
import { CR0_PG, Vector } from '../../core/isa/table';

/** The outcome of walking the guest tables for one linear address. */
export type GuestWalk =
  /**
   * both levels present; `frame` is the guest-physical page base, which may lie outside
   * guest RAM (the hardware checks that only after the permissions, see {@link frameOutside})
   */
  | {
      readonly kind: 'mapped';
      readonly pdeAddress: number;
      readonly pde: number;
      readonly pteAddress: number;
      readonly pte: number;
      readonly frame: number;
    }
  /** the directory or the table entry is not present */
  | { readonly kind: 'not-present'; readonly level: 'directory' | 'table' }
  /**
   * the directory or the page table lies outside guest RAM (natively: #GP, since the address
   * is outside the guest's physical memory); `address` is the offending guest-physical address
   */
  | { readonly kind: 'outside-guest-memory'; readonly address: number };

/** Walk the guest tables rooted at guest-physical `root` (a cr3 value) for linear `va`. */
export const walkGuestTables = (memory: PhysicalMemory, guestMemoryBytes: number, root: number, va: number): GuestWalk => {
  const pdeAddress = ((root & FRAME_MASK) >>> 0) + (va >>> 22) * 4;
  if (pdeAddress >= guestMemoryBytes) return { kind: 'outside-guest-memory', address: pdeAddress };
  const pde = memory.i32[pdeAddress >>> 2];
  if ((pde & Pte.present) === 0) return { kind: 'not-present', level: 'directory' };
  const pteAddress = ((pde & FRAME_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
  if (pteAddress >= guestMemoryBytes) return { kind: 'outside-guest-memory', address: pteAddress };
  const pte = memory.i32[pteAddress >>> 2];
  if ((pte & Pte.present) === 0) return { kind: 'not-present', level: 'table' };
  const frame = (pte & FRAME_MASK) >>> 0;
  return { kind: 'mapped', pdeAddress, pde, pteAddress, pte, frame };
};

/**
 * The page-fault error code a real MMU walking the guest tables would raise for `access`
 * at user level (`user`: guest CPL 3), or null when the guest tables allow the access.
 * An `outside-guest-memory` walk is not a page fault and yields null: callers check it first.
 */
export const guestAccessError = (walk: GuestWalk, access: Access, user: boolean): number | null => {
  const base = (access === Access.write ? PfError.write : 0) | (access === Access.fetch ? PfError.fetch : 0) | (user ? PfError.user : 0);
  switch (walk.kind) {
    case 'not-present':
      return base;
    case 'outside-guest-memory':
      return null;
    case 'mapped': {
      const eff = walk.pde & walk.pte;
      if (user && (eff & Pte.user) === 0) return base | PfError.present;
      if (access === Access.write && (eff & Pte.writable) === 0) return base | PfError.present;
      return null;
    }
  }
};

/** An exception and its error code. */
export interface GuestException {
  readonly vector: number;
  readonly errorCode: number;
}

/** The #GP of the machine's physical-memory check (an access past memory). */
export const PAST_MEMORY: GuestException = { vector: Vector.generalProtection, errorCode: 0 };

/**
 * The exception the machine raises for `access` under the guest's tables (paging on), from
 * their walk: the page fault a real MMU gives ({@link guestAccessError}: permissions are
 * checked first), or {@link PAST_MEMORY} when the walk or the frame it finds lies past guest
 * RAM; null when the access is allowed.
 */
export const walkFault = (walk: GuestWalk, guestMemoryBytes: number, access: Access, user: boolean): GuestException | null => {
  const error = guestAccessError(walk, access, user);
  if (error !== null) return { vector: Vector.pageFault, errorCode: error };
  if (walk.kind === 'outside-guest-memory' || (walk.kind === 'mapped' && walk.frame >= guestMemoryBytes)) return PAST_MEMORY;
  return null;
};

/**
 * The exception the machine raises for a guest access at `va` that a VMM could not make,
 * from the guest's control registers `cr` (cr0, cr3): with paging off, the #GP of the
 * physical-memory check; else {@link walkFault} of the guest's tables (an access the walk
 * allows can only have failed on a frame past guest RAM: that #GP too).
 */
export const guestFault = (memory: PhysicalMemory, guestMemoryBytes: number, cr: ArrayLike<number>, va: number, access: Access, user: boolean): GuestException => {
  if ((cr[0] & CR0_PG) === 0) return PAST_MEMORY;
  return walkFault(walkGuestTables(memory, guestMemoryBytes, cr[3], va), guestMemoryBytes, access, user) ?? PAST_MEMORY;
};

/** The kind of access a page-fault error code describes. */
export const accessOfErrorCode = (errorCode: number): Access =>
  (errorCode & PfError.write) !== 0 ? Access.write : (errorCode & PfError.fetch) !== 0 ? Access.fetch : Access.read;
