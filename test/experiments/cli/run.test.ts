import { expect } from 'chai';
import { cli } from './helpers';

describe('CLI: run and list', function () {
  this.timeout(120_000);

  it('runs a workload natively with the documented JSON fields', async () => {
    const r = await cli('run', '--strategy', 'native', '--workload', 'syscall', '--param', 'n=200', '--json');
    expect(r.code, r.err).to.equal(0);
    const j = JSON.parse(r.out);
    for (const k of ['strategy', 'options', 'workload', 'params', 'profile', 'guest', 'events', 'cycles', 'slowdown', 'equivalent', 'console', 'digest', 'host'])
      expect(j, k).to.have.property(k);
    expect(j.params).to.deep.equal({ n: 200 });
    expect(j.profile).to.equal('netburst-2006');
    expect(j.console).to.equal('syscall: 200 getpid calls ok\n');
    expect(j.equivalent).to.equal(true);
    expect(j.slowdown).to.equal(1);
    expect(j.guest).to.have.keys('instructions', 'byRing', 'regionInstructions');
    expect(j.cycles).to.include.keys('total', 'breakdown', 'perOperation');
    for (const kind of ['traps', 'exits', 'hypercalls', 'callouts', 'translation', 'shadowPaging', 'tlb', 'io', 'interrupts'])
      expect(j.events[kind], kind).to.have.keys('total', 'by', ...(kind === 'hypercalls' ? ['updates', 'validationFailures', 'updatesPerMmuUpdate'] : []));
    // exactly n + 5 system calls (getpid loop, marks, result, exit)
    expect(j.events.systemCalls.by.sysenter).to.equal(205);
  });

  it('shows hardware-assisted syscall near native and in/ptemod paying exits on netburst-2006', async () => {
    const run = async (w: string) => JSON.parse((await cli('run', '--strategy', 'hardware-assisted', '--workload', w, '--param', 'n=200', '--json')).out);
    const syscall = await run('syscall');
    const ptemod = await run('ptemod');
    const inb = await run('in');
    expect(syscall.equivalent && ptemod.equivalent && inb.equivalent).to.equal(true);
    expect(syscall.slowdown).to.be.below(1.1);
    expect(ptemod.events.exits.by.invlpg).to.be.at.least(200);
    expect(inb.events.exits.by.io).to.be.at.least(200);
    expect(ptemod.slowdown).to.be.above(10);
  });

  it('trap-and-emulate fails equivalence on the default ISA with the instruction and address, and holds on the virtualizable one', async () => {
    const bad = await cli('run', '--strategy', 'trap-and-emulate', '--workload', 'syscall', '--param', 'n=50', '--json');
    expect(bad.code).to.equal(1);
    const j = JSON.parse(bad.out);
    expect(j.equivalent).to.equal(false);
    expect(j.divergence).to.match(/^pushf at 0x[0-9a-f]+ revealed IF=1, but the guest's IF is 0$/);
    const good = await cli('run', '--strategy', 'trap-and-emulate', '--workload', 'syscall', '--param', 'n=50', '--isa', 'virtualizable', '--json');
    expect(good.code, good.err).to.equal(0);
    expect(JSON.parse(good.out).equivalent).to.equal(true);
  });

  it('prints a readable table by default', async () => {
    const r = await cli('run', '--strategy', 'native', '--workload', 'in', '--param', 'n=10');
    expect(r.out).to.contain('equivalent yes').and.contain('cycles by cause').and.contain('port I/O');
  });

  it('refuses unknown names and bad values, naming the valid ones', async () => {
    const s = await cli('run', '--strategy', 'vmware', '--workload', 'syscall');
    expect(s.code).to.equal(2);
    expect(s.err).to.contain("unknown strategy 'vmware'; valid strategies: native, trap-and-emulate, hardware-assisted");
    const w = await cli('run', '--strategy', 'native', '--workload', 'sycall');
    expect(w.err).to.contain("unknown workload 'sycall'").and.contain('syscall, in, cr8wr');
    const p = await cli('run', '--strategy', 'native', '--workload', 'syscall', '--profile', 'pentium');
    expect(p.err).to.contain("unknown profile 'pentium'");
    const n = await cli('run', '--strategy', 'native', '--workload', 'syscall', '--param', 'n=-3');
    expect(n.err).to.contain('parameter n=-3 of workload \'syscall\' is out of range');
    const q = await cli('run', '--strategy', 'native', '--workload', 'syscall', '--param', 'size=3');
    expect(q.err).to.contain("has no parameter 'size'");
    const o = await cli('run', '--strategy', 'hardware-assisted', '--workload', 'syscall', '--option', 'paging=magic');
    expect(o.err).to.contain('option paging=magic').and.contain('shadow | nested');
    const nested = await cli('run', '--strategy', 'hardware-assisted', '--workload', 'syscall', '--option', 'paging=nested');
    expect(nested.code).to.equal(2);
    expect(nested.err).to.contain("does not apply to profile 'netburst-2006'").and.contain('paging=shadow');
    const unknownOpt = await cli('run', '--strategy', 'native', '--workload', 'syscall', '--option', 'fast=yes');
    expect(unknownOpt.err).to.contain("strategy 'native' has no options");
  });

  it('ends a run that exceeds its instruction budget with a clear stop, not a hang', async () => {
    const r = await cli('run', '--strategy', 'native', '--workload', 'compute', '--max-instructions', '5000', '--json');
    expect(r.code).to.equal(1);
    const j = JSON.parse(r.out);
    expect(j.stop.kind).to.equal('budget');
    expect(j.equivalent).to.equal(true); // native against itself, both cut at the same budget
  });

  it('lists strategies, workloads with parameters, and profiles', async () => {
    const j = JSON.parse((await cli('list', '--json')).out);
    expect(j.strategies.map((s: { name: string }) => s.name)).to.include.members(['native', 'trap-and-emulate', 'hardware-assisted']);
    expect(j.workloads.map((w: { name: string }) => w.name)).to.include.members(['syscall', 'in', 'cr8wr', 'callret', 'pgfault', 'divzero', 'ptemod', 'forkwait', 'compute', 'compile', 'io', 'ctxswitch']);
    expect(j.workloads[0].params.n).to.include.keys('default', 'min', 'max');
    expect(j.profiles.map((p: { name: string }) => p.name)).to.deep.equal(['netburst-2006', 'k8-2006', 'core2-2008', 'barcelona-2008', 'nehalem-2009', 'skylake-2015', 'modern']);
    expect(j.profiles.filter((p: { vendor: string }) => p.vendor === 'amd').map((p: { name: string }) => p.name)).to.deep.equal(['k8-2006', 'barcelona-2008']);
    const text = (await cli('list')).out;
    expect(text).to.contain('--option paging=shadow | nested (default shadow)');
  });
});
