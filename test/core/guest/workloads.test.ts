import { expect } from 'chai';
import { compileChecksum, computeChecksum, ioChecksum } from '../../../core/guest/reference-results';
import { WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from '../../../core/guest/workloads';
import { count, runWorkload, type GuestRun } from './helpers';

const VEC_DE = 0;
const VEC_PF = 14;
const VEC_SYSCALL = 0x80;
const PORT_CONSOLE_STATUS = 0x3f9;

describe('guest workloads (native)', () => {
  const runs = new Map<string, GuestRun>();
  /** One run per (workload, n), shared by the tests below. */
  const run = (name: WorkloadName, n: number = WORKLOADS[name].params.n.default): GuestRun => {
    const key = `${name}/${n}`;
    if (!runs.has(key)) runs.set(key, runWorkload(name, n));
    return runs.get(key)!;
  };

  describe('each runs to completion at its default n', () => {
    for (const name of WORKLOAD_NAMES) {
      const w = WORKLOADS[name];
      const n = w.params.n.default;
      it(`${name} (n = ${n}): output, exit code, result bytes, system calls`, () => {
        const r = run(name);
        expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
        expect(r.output).to.equal(w.expected(n));
        expect(r.result.exitCode).to.equal(0);
        expect([...r.result.bytes]).to.deep.equal([...w.expectedResult(n)]);
        // the user runtime enters by the vsyscall page: SYSENTER on the native kernel
        const syscalls = w.syscalls(n);
        if (syscalls !== null) {
          expect(r.counts.sysenters).to.equal(syscalls);
          expect(r.counts.sysexits).to.be.at.most(syscalls);
        }
        expect(count(r.counts.softwareInterrupts, VEC_SYSCALL)).to.equal(0);
        // the measured region is marked exactly once
        expect(count(r.counts.io.out, 0xf0)).to.equal(2);
      });
    }
  });

  describe('event counts follow the loop counts exactly', () => {
    it('syscall: n getpid calls are n + 5 SYSENTERs, each returning by SYSEXIT but the last (exit)', () => {
      const c = run('syscall', 1000).counts;
      expect(c.sysenters).to.equal(1005);
      expect(c.sysexits).to.equal(1004);
    });

    it('pgfault: n pages take exactly n more page faults than n = 0', () => {
      const faults = (n: number) => count(run('pgfault', n).counts.exceptions, VEC_PF);
      expect(faults(100) - faults(0)).to.equal(100);
      expect(faults(7) - faults(0)).to.equal(7);
    });

    it('divzero: n divide errors, each skipped', () => {
      const r = run('divzero', 1000);
      expect(count(r.counts.exceptions, VEC_DE)).to.equal(1000);
      expect(count(run('divzero', 0).counts.exceptions, VEC_DE)).to.equal(0);
    });

    it('in: exactly n more reads of port 0x3f9 than n = 0', () => {
      const reads = (n: number) => count(run('in', n).counts.io.in, PORT_CONSOLE_STATUS);
      expect(reads(1000) - reads(0)).to.equal(1000);
    });

    it('cr8wr: exactly n more cr8 writes than n = 0', () => {
      const writes = (n: number) => count(run('cr8wr', n).counts.controlRegisterWrites, 'cr8');
      expect(writes(1000) - writes(0)).to.equal(1000);
    });

    it('ptemod: exactly n more invlpg than n = 0', () => {
      expect(run('ptemod', 1000).counts.tlb.invlpg - run('ptemod', 0).counts.tlb.invlpg).to.equal(1000);
    });

    it('callret: n call/ret pairs cost about 6 kernel instructions each (timer ticks add noise)', () => {
      const ring0 = (n: number) => run('callret', n).counts.retiredByRing[0];
      expect((ring0(1000) - ring0(0)) / 1000).to.be.within(5.9, 6.1);
    });

    it('forkwait: n + 1 processes created, n children reaped', () => {
      const r = run('forkwait', 100);
      expect(r.result.processes).to.equal(101);
    });

    it('ctxswitch: both processes yield n times (each yield switches address spaces)', () => {
      const r = run('ctxswitch', 500);
      expect(r.result.processes).to.equal(2);
      expect(count(r.counts.controlRegisterWrites, 'cr3')).to.be.at.least(1000);
    });
  });

  it('the checksums of compute, compile and io change with n (no degenerate hash)', () => {
    for (const f of [computeChecksum, compileChecksum, ioChecksum]) {
      const values = Array.from({ length: 40 }, (_, i) => f(i + 1));
      expect(new Set(values).size).to.equal(values.length);
    }
  });

  describe('timer and device timing do not change any output', () => {
    it('compile and io give the same output and result with other disk latencies and TLB sizes', () => {
      for (const name of ['compile', 'io'] as const) {
        const a = run(name, 20);
        const b = runWorkload(name, 20, { diskLatencyUs: 333, tlbEntries: 8 });
        expect(b.output).to.equal(a.output);
        expect([...b.result.bytes]).to.deep.equal([...a.result.bytes]);
        expect(b.counts.interrupts).to.not.deep.equal(a.counts.interrupts);
      }
    });
  });
});
