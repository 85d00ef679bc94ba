import { expect } from 'chai';

import { uniprocessor } from '../../../core/platform/uniprocessor';
import { bootImage } from '../../../core/guest/boot-image';
import { readResult } from '../../../core/guest/result';
import { WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from '../../../core/guest/workloads';
import { BUDGET, count, right } from './helpers';
import { MockHypervisor } from './pv-mock';
import { runVcpu } from '../../../core/cpu/vcpu-loop';
import { countsOf } from '../counts';

/** Run a workload's paravirtual build under the mock hypervisor (test/core/guest/pv-mock.ts). */
const runPv = (workload: WorkloadName, n: number, batching = true) => {
  const m = uniprocessor();
  right(bootImage({ workload, n, build: 'paravirt', kernel: { batching } })).loadInto(m);
  const h = MockHypervisor.install(m);
  const stop = runVcpu(m, h, BUDGET);
  return { m, h, stop, output: m.platform.console.text(), result: readResult(m), counts: countsOf(m) };
};

describe('paravirtual kernel build under a mock hypervisor', () => {
  for (const name of WORKLOAD_NAMES) {
    const w = WORKLOADS[name];
    const n = Math.min(w.params.n.default, 50);
    it(`${name} (n = ${n}): same output and result as native, kernel in ring 1, no ring 0`, () => {
      const r = runPv(name, n);
      expect(r.h.failure).to.equal(null);
      expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
      expect(r.output).to.equal(w.expected(n));
      expect([...r.result.bytes]).to.deep.equal([...w.expectedResult(n)]);
      expect(r.counts.retiredByRing[0]).to.equal(0);
      expect(r.counts.retiredByRing[1]).to.be.greaterThan(0);
      // system calls went to the hypervisor first (it delivered them to ring 1), so the
      // machine did not count them as software interrupts
      expect(count(r.counts.softwareInterrupts, 0x80)).to.equal(0);
    });
  }

  it('batching sends page-table updates in fewer mmu_update hypercalls (fork copies)', () => {
    const on = runPv('forkwait', 20, true);
    const off = runPv('forkwait', 20, false);
    expect(on.output).to.equal(off.output);
    expect(on.h.updates).to.equal(off.h.updates);
    expect(off.h.hypercalls[2]).to.equal(off.h.updates);
    expect(on.h.hypercalls[2]).to.be.lessThan(off.h.updates / 2);
    expect(on.h.hypercalls[9]).to.be.greaterThan(0); // multicall in the context switch
  });

  it('kbench under PV uses the hypercalls: console_status, set_tpr, mmu_update + invlpg', () => {
    expect(runPv('in', 100).h.hypercalls[17]).to.equal(100);
    expect(runPv('cr8wr', 100).h.hypercalls[18]).to.equal(100);
    const ptemod = runPv('ptemod', 100, true);
    expect(ptemod.h.hypercalls[4]).to.equal(100);
  });
});
