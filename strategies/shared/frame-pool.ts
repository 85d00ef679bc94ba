/**
 * A pool of 4 KiB machine frames that the VMM owns (memory above guest RAM), from which it
 * allocates its own structures (shadow page tables). Allocation hands out zeroed frames;
 * running out is an ordinary outcome (`null`), so the caller can choose to drop what it
 * caches and start over.
 * @category Strategies
 */
import type { PhysicalMemory } from '../../core/mmu/memory';
import { PAGE_SIZE } from '../../core/mmu/pte';

/** Frames of VMM memory, handed out and taken back one at a time. */
export class FramePool {
  /** number of frames the pool manages */
  readonly capacity: number;
  /** frames allocated so far in total (for statistics) */
  allocations = 0;
  private readonly free: number[] = [];

  /**
   * Manage the frames of `memory` in [`start`, `end`), both multiples of 4096.
   * Throws RangeError on a malformed range (a configuration error of the caller).
   */
  constructor(
    private readonly memory: PhysicalMemory,
    readonly start: number,
    readonly end: number,
  ) {
    if (start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0 || start < 0 || end > memory.size || start > end)
      throw new RangeError(
        `VMM frame range [0x${start.toString(16)}, 0x${end.toString(16)}) must be page-aligned and inside ${memory.size} bytes of memory`,
      );
    this.capacity = (end - start) / PAGE_SIZE;
    this.reset();
  }

  /** Frames currently free. */
  get available(): number {
    return this.free.length;
  }

  /** A zeroed frame (its machine-physical address), or null when the pool is exhausted. */
  allocate(): number | null {
    const f = this.free.pop();
    if (f === undefined) return null;
    this.memory.u8.fill(0, f, f + PAGE_SIZE);
    this.allocations++;
    return f;
  }

  /** Give a frame back. */
  release(frame: number): void {
    if (frame < this.start || frame >= this.end || frame % PAGE_SIZE !== 0)
      throw new Error(`internal error: frame 0x${frame.toString(16)} does not belong to the VMM pool`);
    this.free.push(frame);
  }

  /** Take every frame back (whatever was allocated is forgotten). */
  reset(): void {
    this.free.length = 0;
    // lowest addresses handed out first (pop from the end)
    for (let f = this.end - PAGE_SIZE; f >= this.start; f -= PAGE_SIZE) this.free.push(f);
  }
}
