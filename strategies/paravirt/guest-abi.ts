/**
 * The paravirtual guest ABI as the hypervisor sees it (core/guest/README.md, "The
 * paravirtual build"; kernel/hypercalls.s is the guest's copy): the shared-info page, the
 * error codes hypercalls return, the trap-table flag bits, the upcall. Hypercall numbers and
 * arguments live in one place only: the hypercall table (hypercall-table.ts).
 * @category Strategies
 */
import { GuestLayout } from '../../core/guest/layout';
import { Flag } from '../../core/isa/table';

/** Physical (= kernel virtual) addresses of the shared-info words. */
export const SharedInfo = {
  /** 1 = events (virtual interrupts) masked: the guest's inverted IF, a plain store */
  mask: GuestLayout.sharedInfo + 0,
  /** bit n = virtual IRQ n pending; written by the hypervisor only */
  pending: GuestLayout.sharedInfo + 4,
  /** fault address of the last page fault (the virtual cr2) */
  cr2: GuestLayout.sharedInfo + 8,
  /** status of the last completed block request (0 ok, 2 error) */
  blockStatus: GuestLayout.sharedInfo + 12,
} as const;

/** Bytes of each vCPU's info in the shared-info page (hypercalls.s VCPU_INFO_SIZE): vCPU i's mask, pending and cr2 are at SharedInfo's plus i times this. */
export const VCPU_INFO_SIZE = 32;

/** The shared-info addresses of vCPU `index`'s event mask, pending bits and fault address (Xen's vcpu_info). */
export const vcpuInfo = (index: number): { readonly mask: number; readonly pending: number; readonly cr2: number } => ({
  mask: SharedInfo.mask + index * VCPU_INFO_SIZE,
  pending: SharedInfo.pending + index * VCPU_INFO_SIZE,
  cr2: SharedInfo.cr2 + index * VCPU_INFO_SIZE,
});

/** Error codes a hypercall returns in r1 (negative, Linux/Xen errno values). */
export const Errno = {
  EPERM: -1,
  EIO: -5,
  EBUSY: -16,
  EFAULT: -14,
  EINVAL: -22,
  ENOSYS: -38,
} as const;

/** A hypercall error code. */
export type Errno = (typeof Errno)[keyof typeof Errno];

/** Flag bits of a `set_trap_table` entry. */
export const TrapEntryFlags = {
  /** bits 0-1: the least privileged ring allowed to raise the vector with `int n` */
  dplMask: 3,
  /** bit 2: keep events unmasked on entry (a trap gate rather than an interrupt gate) */
  keepEventsUnmasked: 4,
} as const;

/** The system-call vector: the one trap the hypervisor can register for direct delivery. */
export const SYSCALL_VECTOR = 0x80;

/** The arithmetic flags an `iret` hypercall restores (IF is the event mask, IOPL stays 0). */
export const ARITHMETIC_FLAGS = Flag.CF | Flag.ZF | Flag.SF | Flag.OF;

/** One entry of the guest's virtual trap table (`set_trap_table`). */
export interface TrapEntry {
  readonly vector: number;
  /** ring-1 handler address (kernel virtual) */
  readonly handler: number;
  /** {@link TrapEntryFlags} */
  readonly flags: number;
}
