/**
 * Every row of the hypercall table, called through the hypervisor's real dispatch (a
 * `vmcall` trap from ring 1) on a guest that has booted and run: a valid call does its work
 * and returns >= 0; each kind of invalid argument returns its error code and counts one
 * validation failure, and the hypervisor keeps running.
 */
import { expect } from 'chai';
import { PAGE_SIZE, Pte } from '../../../core/mmu/pte';
import { GATE_SIZE } from '../../../core/cpu/idt';
import { GUEST_MEMORY_BYTES } from '../../../core/guest/layout';
import { Flag } from '../../../core/isa/table';
import { Errno, SharedInfo } from '../../../strategies/paravirt/guest-abi';
import { HYPERCALLS } from '../../../strategies/paravirt/hypercall-table';
import { vmmCountsOf } from '../vmm-counts';
import { HYPERVISOR_BASE } from '../../../strategies/paravirt/hypervisor-memory';
import { runPv, type PvRun } from './harness';
import { countsOf } from '../../core/counts';

/** Kernel layout (core/guest/README.md). */
const KPT = 0x00300000;
const KPD = 0x00301000;
const SCRATCH = 0x00307800; // in the paravirtual buffer page: kernel read/write, unused by the kernel at this offset
const STACK = 0x00330800; // below the boot stack top, kernel read/write
const UNMAPPED = 0x90000000; // no page-directory entry there
const SCRATCH_PTE = KPT + (0x003fe000 >>> 12) * 4;

/** A guest that booted, ran `syscall` and shut down; its hypervisor still answers hypercalls. */
const booted = (options: Record<string, string> = {}): PvRun => {
  const r = runPv('syscall', 1, options);
  expect(r.stop.kind).to.equal('shutdown');
  return r;
};

/** Make hypercall `n` from ring 1; returns r1 and the validation failures it counted. */
const call = (r: PvRun, n: number, ...args: number[]): { r1: number; failures: number } => {
  const before = vmmCountsOf(r.m).validationFailures;
  r.m.cpl = 1;
  r.m.regs[1] = n;
  for (let i = 0; i < 4; i++) r.m.regs[2 + i] = args[i] ?? 0;
  r.m.regs[15] = STACK;
  r.hv.onTrap({ kind: 'vmcall', pc: 0x1000, nextPc: 0x1004 });
  return { r1: r.m.regs[1], failures: vmmCountsOf(r.m).validationFailures - before };
};

const words = (r: PvRun, at: number, ws: number[]): number => {
  ws.forEach((w, i) => r.m.memory.write32(at + 4 * i, w));
  return at;
};

const refused = (errno: number) => (r: PvRun, out: { r1: number; failures: number }): void => {
  void r;
  expect(out.r1, r.hv.lastRefusal ?? '').to.equal(errno);
  expect(out.failures).to.equal(1);
};

/** One call: arguments (built on the booted guest) and what must hold afterwards. */
interface Case {
  readonly label: string;
  readonly args: (r: PvRun) => number[];
  readonly then: (r: PvRun, out: { r1: number; failures: number }) => void;
}

const valid = (label: string, args: Case['args'], then: Case['then'] = () => undefined): Case => ({
  label,
  args,
  then: (r, out) => {
    expect(out.failures, r.hv.lastRefusal ?? '').to.equal(0);
    expect(out.r1).to.be.at.least(0);
    then(r, out);
  },
});
const invalid = (label: string, errno: number, args: Case['args'], then: Case['then'] = () => undefined): Case => ({
  label,
  args,
  then: (r, out) => {
    refused(errno)(r, out);
    then(r, out);
  },
});

/** Cases per row, keyed by name (the first test checks that every row has some). */
const CASES: Record<string, readonly Case[]> = {
  set_trap_table: [
    valid('the system-call entry (direct gate with fastsyscall)', (r) => [words(r, SCRATCH, [0x80, 0x2000, 7]), 1], (r) => {
      expect(r.hv.trapTable.get(0x80)?.handler).to.equal(0x2000);
      expect(r.m.memory.read32(r.hv.memory.idt + 0x80 * GATE_SIZE)).to.equal(0x2000);
      expect(r.hv.directVectors.has(0x80)).to.equal(true);
    }),
    invalid('count above 256', Errno.EINVAL, () => [SCRATCH, 257]),
    invalid('list not mapped', Errno.EFAULT, () => [UNMAPPED, 1]),
    invalid('vector 256', Errno.EINVAL, (r) => [words(r, SCRATCH, [256, 0x2000, 0]), 1]),
    invalid('unknown flag bits', Errno.EINVAL, (r) => [words(r, SCRATCH, [14, 0x2000, 8]), 1]),
    invalid('a handler in the hypervisor range', Errno.EPERM, (r) => [words(r, SCRATCH, [14, HYPERVISOR_BASE + 16, 0]), 1], (r) => {
      expect(r.hv.trapTable.get(14)?.handler).to.not.equal(HYPERVISOR_BASE + 16);
    }),
  ],
  mmu_update: [
    valid('a kernel PTE to a data frame', (r) => [words(r, SCRATCH, [SCRATCH_PTE, 0x003fd000 | Pte.present | Pte.writable]), 1], (r) => {
      expect(r.m.memory.read32(SCRATCH_PTE)).to.equal(0x003fd000 | Pte.present | Pte.writable);
    }),
    valid('a read-only mapping of a page directory', (r) => [words(r, SCRATCH, [SCRATCH_PTE, KPD | Pte.present]), 1]),
    invalid('a frame beyond guest RAM', Errno.EINVAL, (r) => [words(r, SCRATCH, [SCRATCH_PTE, GUEST_MEMORY_BYTES | Pte.present]), 1], (r) => {
      expect(r.m.memory.read32(SCRATCH_PTE) & ~0xfff).to.not.equal(GUEST_MEMORY_BYTES);
    }),
    invalid('a writable mapping of a page table', Errno.EPERM, (r) => [words(r, SCRATCH, [SCRATCH_PTE, KPT | Pte.present | Pte.writable]), 1]),
    invalid('a misaligned entry address', Errno.EINVAL, (r) => [words(r, SCRATCH, [SCRATCH_PTE + 2, 0]), 1]),
    invalid('a negative count', Errno.EINVAL, () => [SCRATCH, -1]),
  ],
  new_baseptr: [
    valid('the current directory', (r) => [r.m.mmu.root], (r) => expect(countsOf(r.m).controlRegisterWrites.cr3).to.be.greaterThan(0)),
    invalid('not page-aligned', Errno.EINVAL, () => [KPD + 4]),
    invalid('beyond guest RAM', Errno.EINVAL, () => [GUEST_MEMORY_BYTES]),
    invalid('a page table', Errno.EINVAL, () => [KPT]),
    invalid('a directory whose table maps beyond guest RAM', Errno.EINVAL, (r) => {
      const pd = 0x007f0000; // frames near the top of guest RAM, unused by this small run
      const pt = pd + PAGE_SIZE;
      r.m.memory.u8.fill(0, pd, pd + 2 * PAGE_SIZE);
      r.m.memory.write32(pd + 4, pt | Pte.present | Pte.writable);
      r.m.memory.write32(pt, GUEST_MEMORY_BYTES | Pte.present);
      return [pd];
    }, (r) => expect(r.hv.pager.frameType(0x007f0000)).to.equal('data')),
  ],
  invlpg: [valid('any address (no invalid argument exists)', () => [0x00400000], (r) => expect(countsOf(r.m).tlb.invlpg).to.equal(1))],
  set_timer: [valid('a period', () => [20000]), invalid('a negative period', Errno.EINVAL, () => [-1])],
  console_write: [
    valid('two bytes', (r) => {
      r.m.memory.write32(SCRATCH, 0x0a6968); // "hi\n"
      return [SCRATCH, 3];
    }, (r) => expect(r.m.platform.console.text().endsWith('hi\n')).to.equal(true)),
    invalid('an unmapped buffer', Errno.EFAULT, () => [UNMAPPED, 4]),
    invalid('a negative length', Errno.EINVAL, () => [SCRATCH, -1]),
  ],
  block_io: [
    valid('write sector 3 from the bounce buffer', () => [2, 3, 0x00305000]),
    invalid('command 3', Errno.EINVAL, () => [3, 0, 0x00305000]),
    invalid('DMA into a page table', Errno.EPERM, () => [1, 0, KPT]),
    invalid('DMA beyond guest RAM', Errno.EFAULT, () => [1, 0, GUEST_MEMORY_BYTES - 256]),
  ],
  sched_block: [valid('unmask and wait (no invalid argument exists)', () => [], (r) => {
    expect(r.m.memory.read32(SharedInfo.mask)).to.equal(0);
    expect(r.m.halted).to.equal(true);
  })],
  multicall: [
    valid('{set_tpr 1, force_event}', (r) => [words(r, SCRATCH, [18, 1, 0, 0, 0, 19, 0, 0, 0, 0]), 2], (r) => {
      expect(r.m.memory.read32(SCRATCH)).to.equal(0);
      expect(r.hv.interrupts.tpr).to.equal(1);
    }),
    invalid('count above 64', Errno.EINVAL, () => [SCRATCH, 65]),
    invalid('a list that is not writable (the kernel page tables, read-only)', Errno.EFAULT, () => [KPT, 1]),
    {
      label: 'an unknown operation and one that cannot be batched: their entries get the errors',
      args: (r) => [words(r, SCRATCH, [99, 0, 0, 0, 0, 15, 0, 0, 0, 0, 18, 16, 0, 0, 0]), 3],
      then: (r, out) => {
        expect(out.r1).to.equal(0);
        expect(out.failures).to.equal(3);
        expect([SCRATCH, SCRATCH + 20, SCRATCH + 40].map((a) => r.m.memory.read32(a))).to.deep.equal([Errno.ENOSYS, Errno.EINVAL, Errno.EINVAL]);
      },
    },
  ],
  stack_switch: [
    valid('a kernel stack', () => [0x00322000], (r) => expect(r.m.cr[5]).to.equal(0x00322000)),
    invalid('in the hypervisor range', Errno.EPERM, () => [HYPERVISOR_BASE + 0x1000]),
  ],
  mark: [valid('start', () => [1]), invalid('3', Errno.EINVAL, () => [3])],
  shutdown: [valid('any exit code (no invalid argument exists)', () => [0])],
  eoi: [valid('irq 0', () => [0]), invalid('irq 8', Errno.EINVAL, () => [8])],
  set_callbacks: [
    valid('a kernel address', () => [0x3000], (r) => expect(r.hv.interrupts.callback).to.equal(0x3000)),
    invalid('in the hypervisor range', Errno.EPERM, () => [HYPERVISOR_BASE]),
  ],
  iret: [
    valid('to ring 3 with events unmasked', (r) => {
      words(r, STACK, [7, 0x00400010, 3, Flag.IF | Flag.ZF, 0x007ff000]);
      return [];
    }, (r) => {
      expect([r.m.regs[1], r.m.pc, r.m.cpl, r.m.regs[15]]).to.deep.equal([7, 0x00400010, 3, 0x007ff000]);
      expect(r.m.flags & Flag.ZF).to.equal(Flag.ZF);
      expect(r.m.memory.read32(SharedInfo.mask)).to.equal(0);
    }),
    invalid('to ring 0', Errno.EPERM, (r) => {
      words(r, STACK, [7, 0x2000, 0, 0, STACK]);
      return [];
    }, (r) => expect(r.m.cpl).to.equal(1)),
    invalid('to the hypervisor range', Errno.EPERM, (r) => {
      words(r, STACK, [7, HYPERVISOR_BASE, 1, 0, STACK]);
      return [];
    }),
  ],
  console_status: [valid('ready', () => [], (_r, out) => expect(out.r1).to.equal(1))],
  set_tpr: [valid('1', () => [1]), invalid('16', Errno.EINVAL, () => [16])],
  force_event: [valid('no arguments', () => [])],
  send_ipi: [
    valid('to itself, line 3: the line is raised at its interrupt controller', () => [0, 3], (r) => expect(r.m.pic.pending & (1 << 3)).to.not.equal(0)),
    invalid('a vCPU the guest does not have', Errno.EINVAL, () => [5, 3]),
    invalid('line 8', Errno.EINVAL, () => [0, 8]),
  ],
  vcpu_up: [
    invalid('vCPU 0, which is up', Errno.EBUSY, () => [0, 0x1000]),
    invalid('a vCPU the guest does not have', Errno.EINVAL, () => [1, 0x1000]),
    invalid("an entry in the hypervisor's range", Errno.EPERM, () => [0, HYPERVISOR_BASE]),
  ],
  tlb_flush_multi: [
    valid('itself, one page: one flush, no IPI and no wait', () => [1, 0x00400000], (r) => {
      const c = r.m.snapshot().counts;
      expect([c.remoteFlushes, c['remoteFlushes.waits']]).to.deep.equal([1, 0]);
    }),
    valid('itself, every entry', () => [1, -1]),
    invalid('a mask naming a vCPU the guest does not have', Errno.EINVAL, () => [2, 0]),
  ],
  set_sysenter: [
    valid('a kernel address: a SYSENTER from ring 3 then enters there in ring 1, on the stack_switch stack, events masked, no frame', () => [0x3000], (r) => {
      expect(r.hv.sysenterEntry).to.equal(0x3000);
      r.m.cpl = 3;
      r.m.regs[15] = 0x007ff000;
      r.m.regs[4] = 1234;
      r.hv.interrupts.setMasked(false);
      r.hv.onTrap({ kind: 'sysenter', pc: 0x00400000, nextPc: 0x00400004 });
      expect([r.m.pc, r.m.cpl, r.m.regs[15], r.m.regs[4]]).to.deep.equal([0x3000, 1, r.hv.kernelStack, 1234]);
      expect(r.hv.interrupts.masked).to.equal(true);
    }),
    valid('0: SYSENTER is a #GP again, bounced to the guest', () => [0], (r) => {
      r.m.cpl = 3;
      r.hv.onTrap({ kind: 'sysenter', pc: 0x00400000, nextPc: 0x00400004 });
      expect(r.m.cpl).to.equal(1);
      expect(r.m.pc).to.equal(r.hv.trapTable.get(13)!.handler);
    }),
    invalid('in the hypervisor range', Errno.EPERM, () => [HYPERVISOR_BASE]),
  ],
};

describe('paravirt: the hypercall table', function () {
  this.timeout(60_000);

  it('has cases for every row, and numbers and names are unique', () => {
    expect(HYPERCALLS.map((r) => r.name).sort()).to.deep.equal(Object.keys(CASES).sort());
    expect(new Set(HYPERCALLS.map((r) => r.number)).size).to.equal(HYPERCALLS.length);
    expect(new Set(HYPERCALLS.map((r) => r.name)).size).to.equal(HYPERCALLS.length);
  });

  for (const row of HYPERCALLS)
    describe(`${row.number} ${row.name}`, () => {
      for (const c of CASES[row.name] ?? [])
        it(c.label, () => {
          const r = booted();
          const out = call(r, row.number, ...c.args(r));
          c.then(r, out);
          expect(vmmCountsOf(r.m).hypercalls[row.name]).to.be.greaterThan(0);
        });
    });

  describe('DMA racing with page-table promotion (a hostile kernel reached ring 0 so before Xen-style pinning)', () => {
    const number = (name: string): number => HYPERCALLS.find((h) => h.name === name)!.number;
    const PD = 0x007f0000; // frames near the top of guest RAM, unused by this small run
    const PT = PD + PAGE_SIZE;
    const prepared = (): PvRun => {
      const r = booted();
      r.m.memory.u8.fill(0, PD, PD + 2 * PAGE_SIZE);
      return r;
    };

    it('a frame a block read is outstanding into cannot become a page directory until the transfer completes', () => {
      const r = prepared();
      expect(call(r, number('block_io'), 1, 3, PD).r1).to.equal(0);
      expect(call(r, number('new_baseptr'), PD)).to.deep.equal({ r1: Errno.EBUSY, failures: 1 });
      expect(r.hv.pager.frameType(PD)).to.equal('data');
      r.m.platform.serviceDevices(Infinity); // the transfer completes
      expect(call(r, number('new_baseptr'), PD)).to.deep.equal({ r1: 0, failures: 0 });
      expect(r.hv.pager.frameType(PD)).to.equal('l2');
    });

    it('nor a page table of a directory being validated', () => {
      const r = prepared();
      r.m.memory.write32(PD + 4, PT | Pte.present | Pte.writable);
      expect(call(r, number('block_io'), 1, 3, PT).r1).to.equal(0);
      expect(call(r, number('new_baseptr'), PD)).to.deep.equal({ r1: Errno.EBUSY, failures: 1 });
      expect([r.hv.pager.frameType(PD), r.hv.pager.frameType(PT)]).to.deep.equal(['data', 'data']);
    });

    it('while a frame is a page table, a DMA into it is refused at the request', () => {
      const r = prepared();
      expect(call(r, number('new_baseptr'), PD).r1).to.equal(0);
      expect(call(r, number('block_io'), 1, 3, PD)).to.deep.equal({ r1: Errno.EPERM, failures: 1 });
    });
  });

  it('a block request the device rejects returns EIO without a validation failure', () => {
    const r = booted();
    const out = call(r, 7, 1, 100000, 0x00305000);
    expect(out).to.deep.equal({ r1: Errno.EIO, failures: 0 });
  });

  for (const n of [0, 16, 24, 99, -1])
    it(`unknown hypercall ${n}: ENOSYS, a validation failure, counted as 'unknown'`, () => {
      const r = booted();
      const before = vmmCountsOf(r.m).hypercalls.unknown ?? 0;
      expect(call(r, n)).to.deep.equal({ r1: Errno.ENOSYS, failures: 1 });
      expect(vmmCountsOf(r.m).hypercalls.unknown).to.equal(before + 1);
      expect(r.m.pc).to.equal(0x1004);
    });

  it('without fast system calls the system-call entry is not put in the real IDT', () => {
    const r = booted({ fastsyscall: 'off' });
    expect(call(r, 1, words(r, SCRATCH, [0x80, 0x2000, 7]), 1).r1).to.equal(0);
    expect(r.hv.directVectors.size).to.equal(0);
    expect(r.m.memory.read32(r.hv.memory.idt + 0x80 * GATE_SIZE + 4)).to.equal(0);
  });
});
