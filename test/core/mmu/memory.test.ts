/**
 * Physical memory: a machine's memory is zeroed, also when its buffer is one a finished
 * machine released (core/mmu/memory.ts releaseMemory).
 */
import { expect } from 'chai';
import { PhysicalMemory, releaseMemory } from '../../../core/mmu/memory';

describe('physical memory', () => {
  it('a released buffer serves the next memory of its size, cleared', () => {
    const size = 0x23000;
    const a = new PhysicalMemory(size);
    a.write32(0, -1);
    a.write32(size - 4, 0x1234);
    a.u8[0x1001] = 7;
    releaseMemory(a);
    const b = new PhysicalMemory(size);
    expect(b.u8.buffer).to.equal(a.u8.buffer);
    expect(b.u8.every((x) => x === 0)).to.equal(true);
    expect(b.i32.length).to.equal(size / 4);
    // taken: the next memory of that size is a fresh buffer
    expect(new PhysicalMemory(size).u8.buffer).to.not.equal(b.u8.buffer);
  });
});
