/**
 * The interrupt controller: eight IRQ lines with a mask, pending and in-service bits, fixed
 * priority (line 0 highest), and end-of-interrupt by port write (8259-like).
 * @category Devices
 */
import { IRQ_BASE } from './ports';

/** Interrupt controller state. */
export class InterruptController {
  pending = 0;
  inService = 0;
  mask = 0;
  /** called whenever the deliverable interrupt may have changed */
  onChange: () => void = () => undefined;

  /** Assert an IRQ line (edge: sets its pending bit). */
  raise(line: number): void {
    this.pending |= 1 << line;
    this.onChange();
  }

  /** The vector that would be delivered now, or -1. */
  deliverable(): number {
    const ready = this.pending & ~this.mask;
    if (ready === 0) return -1;
    const line = 31 - Math.clz32(ready & -ready);
    // a line in service blocks itself and every lower-priority line
    if (this.inService !== 0 && 31 - Math.clz32(this.inService & -this.inService) <= line) return -1;
    return IRQ_BASE + line;
  }

  /** The CPU accepted the interrupt with this vector. */
  acknowledge(vector: number): void {
    const bit = 1 << (vector - IRQ_BASE);
    this.pending &= ~bit;
    this.inService |= bit;
    this.onChange();
  }

  /** End of interrupt: clear the highest-priority in-service line. */
  endOfInterrupt(): void {
    this.inService &= this.inService - 1;
    this.onChange();
  }

  /** Set the mask. */
  setMask(mask: number): void {
    this.mask = mask & 0xff;
    this.onChange();
  }
}
