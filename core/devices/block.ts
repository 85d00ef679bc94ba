/**
 * The block device: 512-byte sectors moved to or from physical memory by DMA, completing
 * after the device's latency (given in microseconds, counted in the starting CPU's guest-visible time)
 * with IRQ 2.
 * @category Devices
 */

/**
 * Default request latency in microseconds: a SATA SSD of the late 2000s (Intel X25-E,
 * ~75 us read access, Intel's launch figures at IDF 2008). A 7200-rpm disk would take
 * ~11.6 ms (seek 7.4 ms + half a rotation 4.2 ms, WD datasheets); an Optane P4800X ~9 us
 * at queue depth 1 (AnandTech's review): set `diskLatencyUs` to model them.
 */
export const DISK_LATENCY_US = 75;

/** Sector size in bytes. */
export const SECTOR_SIZE = 512;

/** Block device command codes. */
export const BlockCommand = { read: 1, write: 2 } as const;

/** Block device status bits. */
export const BlockStatus = { busy: 1, error: 2 } as const;

/** A disk with one outstanding request at a time. */
export class BlockDevice {
  readonly data: Uint8Array;
  sector = 0;
  address = 0;
  status = 0;
  /** time the outstanding request completes, Infinity when idle */
  deadline = Infinity;
  private command = 0;
  /** completed requests */
  reads = 0;
  writes = 0;

  constructor(
    readonly sectors: number,
    /** microseconds from command to completion */
    readonly latencyUs: number,
  ) {
    this.data = new Uint8Array(sectors * SECTOR_SIZE);
  }

  /** Start a request at guest-visible time `now` (reference cycles at `cyclesPerMicrosecond`). */
  start(command: number, now: number, cyclesPerMicrosecond: number): void {
    if (this.status & BlockStatus.busy) return;
    if ((command !== BlockCommand.read && command !== BlockCommand.write) || this.sector >>> 0 >= this.sectors) {
      this.status = BlockStatus.error;
      return;
    }
    this.command = command;
    this.status = BlockStatus.busy;
    this.deadline = now + Math.max(1, Math.round(this.latencyUs * cyclesPerMicrosecond));
  }

  /** Complete the outstanding request against memory; returns false if the DMA address is bad. */
  complete(memory: Uint8Array): boolean {
    this.deadline = Infinity;
    const addr = this.address >>> 0;
    const off = (this.sector >>> 0) * SECTOR_SIZE;
    if (addr + SECTOR_SIZE > memory.length) {
      this.status = BlockStatus.error;
      return false;
    }
    if (this.command === BlockCommand.read) {
      memory.set(this.data.subarray(off, off + SECTOR_SIZE), addr);
      this.reads++;
    } else {
      this.data.set(memory.subarray(addr, addr + SECTOR_SIZE), off);
      this.writes++;
    }
    this.status = 0;
    return true;
  }
}
