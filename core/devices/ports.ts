/**
 * The I/O port map of the machine: which device answers which port.
 * @category Devices
 */

/** Port numbers of the machine's devices. */
export const Port = {
  /** interrupt controller: write = end of interrupt (EOI) for the lowest in-service line */
  picCommand: 0x20,
  /** interrupt controller: read/write the mask of IRQ lines (bit n set = line n masked) */
  picMask: 0x21,
  /**
   * local interrupt controller's interrupt command register (ICR), write only: bits 0-7 the
   * IRQ line (fixed mode) or the start page (start-up: pc = page << 12), bits 8-10 the mode
   * (0 fixed, 5 INIT, 6 start-up), bits 12-13 the destination shorthand (0 the CPU in bits
   * 16-23, 1 self, 2 all, 3 all but self). See Platform.sendIpi.
   */
  icr: 0x24,
  /** timer: write = period in time units (instructions), 0 stops it; read = ticks so far */
  timerPeriod: 0x40,
  /** block device: sector number */
  blockSector: 0x1f0,
  /** block device: physical memory address for the transfer (DMA) */
  blockAddress: 0x1f1,
  /** block device: write 1 = read sector into memory, 2 = write memory to sector; read = status (1 busy, 2 error) */
  blockCommand: 0x1f2,
  /** console: write = output one byte */
  consoleData: 0x3f8,
  /** console: read = status (always 1: ready) */
  consoleStatus: 0x3f9,
  /** measurement marker: write 1 = start of the measured region, 2 = end */
  regionMarker: 0xf0,
  /** power: write = stop the machine with that exit code */
  power: 0xf4,
} as const;

/** IRQ lines of the devices (vector = IRQ_BASE + line). */
export const Irq = { timer: 0, console: 1, block: 2 } as const;

/** Delivery modes of the ICR (x86's values). */
export const IcrMode = { fixed: 0, init: 5, startup: 6 } as const;

/** Destination shorthands of the ICR (x86's values). */
export const IcrShorthand = { none: 0, self: 1, all: 2, allButSelf: 3 } as const;

/** Encode an ICR value. */
export const icrValue = (mode: number, low: number, shorthand: number, destination = 0): number =>
  (low & 0xff) | ((mode & 7) << 8) | ((shorthand & 3) << 12) | ((destination & 0xff) << 16);

/** Interrupt vector of IRQ line 0. */
export const IRQ_BASE = 0x20;


/**
 * The back end of a device port: the physical accesses the host must still make when a VMM
 * serves a guest's access to the port in software (the front end). A native access is
 * itself the hardware access; an emulated one costs the VMM's emulation plus these, so the
 * native and the virtualized run of one workload do the same device work: a disk request
 * programs the physical controller (sector, address, command) and the host's driver reads
 * its status when it completes (4), a console byte goes out on the wire, an end of
 * interrupt and a timer period reach the physical controller and timer. Other reads of
 * emulated registers (status, mask) need no hardware: the VMM knows the answer. A
 * hypervisor that drives the devices itself (paravirt) makes these accesses as plain port
 * accesses instead.
 */
export const BACK_END_WRITES: Readonly<Partial<Record<number, number>>> = {
  [Port.picCommand]: 1,
  [Port.timerPeriod]: 1,
  [Port.blockCommand]: 4,
  [Port.consoleData]: 1,
};
