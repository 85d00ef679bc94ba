/**
 * `hardware-assisted` `vendor=intel|amd`: the AMD-V flavour's control block and its
 * accesses, the refusal of the other vendor's profiles, and AMD's equivalence with nested
 * paging (the equivalence suite covers vendor=amd with shadow paging on k8-2006).
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { loadProfile } from '../../../core/cost/profile';
import { WORKLOADS, WORKLOAD_NAMES } from '../../../core/guest/workloads';
import { uniprocessor } from '../../../core/platform/uniprocessor';
import { isVmcb } from '../../../core/vmx/vmcb';
import { hardwareAssisted } from '../../../strategies/hardware-assisted/hardware-assisted';
import { VMCB_COUNTERS } from '../../../strategies/hardware-assisted/vmcb-access';
import { VMCS_COUNTERS } from '../../../strategies/hardware-assisted/vmcs-access';
import { SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../../../strategies/shared/counters';
import { DEVICE_MODEL_COUNTERS } from '../../../strategies/shared/device-model';
import { resolveOptions } from '../../../strategies/options';
import { runOne } from '../../../experiments/run/run-one';

const profile = (name: string) => {
  const p = loadProfile(name);
  if (isLeft(p)) throw new Error(p.left);
  return p.right;
};

const options = (given: Record<string, string>) => {
  const o = resolveOptions(hardwareAssisted, given);
  if (isLeft(o)) throw new Error(o.left.join('; '));
  return o.right;
};

/** Start the VMM on a bare uniprocessor and feed it one exit; the ledger's counts after it. */
const oneExit = (vendor: 'intel' | 'amd', profileName: string) => {
  const m = uniprocessor({ memoryBytes: 12 << 20 });
  for (const t of [VMM_COUNTERS, SHADOW_PAGING_COUNTERS, DEVICE_MODEL_COUNTERS, VMCS_COUNTERS, VMCB_COUNTERS]) m.ledger.declare(t);
  const vmm = hardwareAssisted.start({ platform: m.platform, cpus: [m], profile: profile(profileName), options: options({ vendor }), guestMemoryBytes: 8 << 20, entry: 0 });
  const before = JSON.parse(JSON.stringify(m.ledger.counts)) as Record<string, Record<string, number>>;
  m.vmcs!.guest.pc = 0x100;
  vmm.vcpus[0].onVmExit!({ reason: 'io', pc: 0x100, nextPc: 0x104, port: 0x3f8, direction: 'out', register: 3 });
  const c = m.ledger.counts as Record<string, Record<string, number>>;
  return { m, before, reads: c['vmcs.reads'], writes: c['vmcs.writes'], vmcbReads: c['vmcb.reads'], vmcbWrites: c['vmcb.writes'] };
};

describe('hardware-assisted vendor=intel|amd', () => {
  it('refuses the other vendor on a profile, naming the profiles that fit', () => {
    expect(hardwareAssisted.check(options({ vendor: 'amd' }), profile('nehalem-2009'))).to.equal(
      "option vendor=amd does not apply to profile 'nehalem-2009', an Intel part (choose vendor=intel there); profiles that fit vendor=amd: k8-2006, barcelona-2008",
    );
    expect(hardwareAssisted.check(options({}), profile('k8-2006'))).to.equal(
      "option vendor=intel does not apply to profile 'k8-2006', an AMD part (choose vendor=amd there); profiles that fit vendor=intel: netburst-2006, core2-2008, nehalem-2009, skylake-2015, modern",
    );
    expect(hardwareAssisted.check(options({ vendor: 'amd', paging: 'nested' }), profile('k8-2006'))).to.match(/nested paging with vendor=amd needs one of: barcelona-2008\)$/);
    expect(hardwareAssisted.check(options({ vendor: 'amd', paging: 'nested' }), profile('barcelona-2008'))).to.equal(null);
  });

  it('the same I/O exit: VMREADs/VMWRITEs of a VMCS on Intel, loads and stores of the VMCB fields holding the same on AMD', () => {
    const intel = oneExit('intel', 'netburst-2006');
    expect(intel.reads).to.deep.equal({ 'exit reason': 1, 'exit qualification': 1, 'instruction length': 1, 'guest RIP': 1 });
    expect(intel.writes).to.deep.equal({ 'guest RIP': 1 });
    expect(intel.vmcbReads).to.deep.equal({});
    const amd = oneExit('amd', 'k8-2006');
    expect(isVmcb(amd.m.vmcs!)).to.equal(true);
    expect(amd.reads).to.deep.equal({});
    expect(amd.writes).to.deep.equal({});
    expect(amd.vmcbReads).to.deep.equal({ EXITCODE: 1, EXITINFO1: 1, EXITINFO2: 1, RIP: 1 });
    expect(amd.vmcbWrites).to.deep.equal({ RIP: 1 });
  });

  it('under shadow paging the VMCB intercepts CR0 reads (it has no read shadow); V_TPR keeps cr8 writes in the guest', () => {
    const { m } = oneExit('amd', 'k8-2006');
    const vmcb = m.vmcs!;
    if (!isVmcb(vmcb)) throw new Error('not a VMCB');
    expect(vmcb.control.interceptCrRead & 1).to.equal(1);
    expect(vmcb.control.interceptCrWrite & (1 << 8)).to.equal(0);
    const intel = oneExit('intel', 'netburst-2006').m.vmcs!;
    expect([intel.cr0ReadShadow, intel.controls.crReadExiting & 1, intel.controls.crWriteExiting & (1 << 8)]).to.deep.equal([0, 0, 1 << 8]);
  });

  it('a run under vendor=amd is equivalent and prices VMCB accesses, never VMCS ones', () => {
    const r = runOne({ strategy: 'hardware-assisted', workload: 'in', params: { n: 20 }, options: { vendor: 'amd' }, profile: 'k8-2006' });
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    expect(r.right.equivalent).to.equal(true);
    expect(r.right.cycles.breakdown['VMCB accesses']).to.be.greaterThan(0);
    expect(r.right.cycles.breakdown['VMCS accesses'] ?? 0).to.equal(0);
    expect(r.right.events.exits.by.io).to.be.at.least(20);
  });

  describe('vendor=amd paging=nested on barcelona-2008 (NPT, ASID-tagged TLB) is equivalent to native', function () {
    this.timeout(300_000);
    for (const w of WORKLOAD_NAMES)
      it(w, () => {
        const n = Math.max(WORKLOADS[w].params.n.min, Math.min(WORKLOADS[w].params.n.default, 40));
        const r = runOne({ strategy: 'hardware-assisted', workload: w, params: { n }, options: { vendor: 'amd', paging: 'nested' }, profile: 'barcelona-2008' });
        if (isLeft(r)) throw new Error(r.left.join('\n'));
        expect(r.right.divergence).to.equal(null);
        expect(r.right.equivalent).to.equal(true);
        expect(r.right.console).to.equal(WORKLOADS[w].expected(n));
      });
  });
});
