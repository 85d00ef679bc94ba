/**
 * The virtual CPU of the binary-translation VMM, kept in VMM memory where translated code
 * can reach it with plain loads and stores: CLI is a store of zero to the virtual IF word,
 * RDCR a load of a virtual control register, LIDT a store of the virtual IDT base. The
 * monitor and the shared machinery (delivery into the guest, emulations) see the same
 * words through the {@link VirtualCpu} interface.
 * @category Binary translation
 */
import type { PhysicalMemory } from '../../core/mmu/memory';
import type { VirtualCpu } from '../shared/virtual-cpu';
import { DataWord } from './layout';

/** A {@link VirtualCpu} whose IF, control registers and IDT base live in the VMM data page. */
export class MemoryVirtualCpu implements VirtualCpu {
  iopl = 0;
  ring = 0;
  readonly pending: number[] = [];
  halted = false;
  /** the guest's control registers: a view of the data page */
  readonly cr: Int32Array;
  private readonly words: Int32Array;

  /** The virtual CPU at reset (ring 0, interrupts off, paging off) in the data page at machine address `dataPage`. */
  constructor(memory: PhysicalMemory, dataPage: number) {
    this.words = new Int32Array(memory.u8.buffer, dataPage, 1024);
    this.words.fill(0);
    this.cr = new Int32Array(memory.u8.buffer, dataPage + DataWord.controlRegisters, 16);
  }

  /** Back to reset (a start-up IPI): every word zero, nothing pending, not halted. */
  reset(): void {
    this.words.fill(0);
    this.iopl = 0;
    this.ring = 0;
    this.pending.length = 0;
    this.halted = false;
  }

  /** The guest's interrupt flag (the virtual IF word). */
  get interruptsEnabled(): boolean {
    return this.words[DataWord.interruptsEnabled >>> 2] !== 0;
  }

  set interruptsEnabled(on: boolean) {
    this.words[DataWord.interruptsEnabled >>> 2] = on ? 1 : 0;
  }

  /** The guest's interrupt table base. */
  get idtBase(): number {
    return this.words[DataWord.idtBase >>> 2];
  }

  set idtBase(v: number) {
    this.words[DataWord.idtBase >>> 2] = v;
  }

  /** The spill slot (a guest register borrowed by translated code). */
  get spill(): number {
    return this.words[DataWord.spill >>> 2];
  }
}
