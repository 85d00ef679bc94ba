/**
 * The guest's physical memory map and boot protocol, as the loader and the strategies see
 * them (core/guest/README.md; kernel/layout.s is the kernel's copy, checked against this
 * by test/core/guest/abi-constants.test.ts).
 * @category Guest
 */
import type { PhysicalMemory } from '../mmu/memory';

/** Anything with guest-physical memory: a platform, or one of its CPUs. */
export interface HasMemory {
  readonly memory: PhysicalMemory;
}
/** Physical memory map and boot protocol constants (mirrors kernel/layout.s). */
export const GuestLayout = {
  /** the kernel image: reset pc = 0 */
  kernel: 0x00000000,
  /** the boot info page written by the loader */
  bootInfo: 0x00100000,
  /** the result page written by the kernel */
  result: 0x00101000,
  /** where the loader puts the program image */
  program: 0x00200000,
  /** largest program image */
  programMax: 0x00100000,
  /** the program's virtual address (its assembly origin and entry point) */
  userBase: 0x00400000,
  /** top of the user stack */
  stackTop: 0x00800000,
  /** the paravirtual shared-info page (guest physical = kernel virtual) */
  sharedInfo: 0x003ff000,
  /** the kernel's direct map of all physical memory */
  physOffset: 0xc0000000,
  /** most result bytes */
  resultMax: 4000,
} as const;

/**
 * Physical memory the guest is told it has (boot info), unless a boot image says otherwise.
 * A machine may be larger (a VMM's own memory above the guest's); the guest never touches
 * memory beyond what the boot info gives it.
 */
export const GUEST_MEMORY_BYTES = 8 * 1024 * 1024;

/** Boot info: magic value at offset 0 ('RING'). */
export const BOOT_MAGIC = 0x52494e47;

/** Boot info field offsets. */
export const BootInfo = { magic: 0, programAddress: 4, programSize: 8, param: 12, memorySize: 16, flags: 20, hz: 24, cpus: 28, threads: 32 } as const;

/**
 * Boot info flags: `paravirt`, the paravirtual build; `userKernel`, the loader booted a
 * kernel image the user supplied (`run --kernel`), which a strategy cannot check against
 * its own build of the shipped kernel. The kernel reads only `paravirt`.
 */
export const BootFlags = { paravirt: 1, userKernel: 2 } as const;
