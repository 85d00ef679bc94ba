import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { phaseOf, type Phase } from '../../../experiments/trace/phases';
import { cli, tmpdir } from '../cli/helpers';

interface Event {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  args?: Record<string, unknown>;
}
const readTrace = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: Event[]; otherData: Record<string, unknown> };

/** The trace's track ids by name. */
const tracks = (events: readonly Event[]): Record<string, number> =>
  Object.fromEntries(events.filter((e) => e.name === 'thread_name').map((e) => [String(e.args!.name), e.tid]));

/** Cycles by phase, from a result's breakdown. */
const phaseCycles = (breakdown: Record<string, number>): Record<Phase, number> => {
  const out: Record<Phase, number> = { guest: 0, translation: 0, vmm: 0 };
  for (const [cause, c] of Object.entries(breakdown)) out[phaseOf(cause)] += c;
  return out;
};

describe('CLI: run --trace, experiment --trace', function () {
  this.timeout(120_000);

  it('writes a Chrome trace of VM exits with modelled, non-decreasing timestamps', async () => {
    const file = path.join(tmpdir(), 'hw.json');
    const r = await cli('run', '--strategy', 'hardware-assisted', '--workload', 'in', '--param', 'n=50', '--trace', file, '--json');
    expect(r.code, r.err).to.equal(0);
    const t = readTrace(file);
    const events = t.traceEvents.filter((e) => e.ph === 'i');
    const exits = events.filter((e) => e.name === 'VM exit: io');
    expect(exits.length).to.equal(JSON.parse(r.out).events.exits.by.io);
    for (let i = 1; i < events.length; i++) expect(events[i].ts, `event ${i}`).to.be.at.least(events[i - 1].ts);
    // the last event happens at the run's modelled end (in microseconds at 3.8 GHz)
    const total = JSON.parse(r.out).cycles.total / 3800;
    expect(events[events.length - 1].ts).to.be.closeTo(total, total * 0.01);
    expect(events.some((e) => e.name === 'measured region start')).to.equal(true);
    expect(t.otherData).to.include({ generator: 'ringlab', strategy: 'hardware-assisted', workload: 'in' });
  });

  it('lays the run out in duration slices per phase whose lengths are the cycles the model charged to each', async () => {
    for (const [strategy, extra] of [
      ['hardware-assisted', []],
      ['binary-translation', []],
      ['trap-and-emulate', ['--isa', 'virtualizable']],
    ] as const) {
      const file = path.join(tmpdir(), `${strategy}.json`);
      const r = await cli('run', '--strategy', strategy, ...extra, '--workload', 'forkwait', '--param', 'n=3', '--trace', file, '--json');
      expect(r.code, r.err).to.equal(0);
      const result = JSON.parse(r.out) as { cycles: { total: number; breakdown: Record<string, number> }; events: { tlb: { by: Record<string, number> }; exits: { by: Record<string, number> } } };
      const events = readTrace(file).traceEvents;
      const tid = tracks(events);
      const slices = events.filter((e) => e.ph === 'X');
      const perMicro = 3800; // netburst-2006 at 3.8 GHz
      const cyclesOn = (t: number) => slices.filter((e) => e.tid === t).reduce((a, e) => a + e.dur! * perMicro, 0);
      const want = phaseCycles(result.cycles.breakdown);
      expect(cyclesOn(tid['guest (kernel / user)']), `${strategy}: guest`).to.be.closeTo(want.guest, 1e-6 * result.cycles.total);
      expect(cyclesOn(tid.VMM), `${strategy}: VMM`).to.be.closeTo(want.vmm, 1e-6 * result.cycles.total);
      expect(cyclesOn(tid.translation), `${strategy}: translation`).to.be.closeTo(want.translation, 1e-6 * result.cycles.total);
      // slices on a track never overlap
      for (const t of Object.values(tid)) {
        const on = slices.filter((e) => e.tid === t).sort((a, b) => a.ts - b.ts);
        for (let i = 1; i < on.length; i++) expect(on[i].ts, `${strategy}: track ${t} slice ${i}`).to.be.at.least(on[i - 1].ts + on[i - 1].dur! - 1e-6);
      }
      const names = new Set(slices.map((e) => e.name));
      expect(names, strategy).to.include.members(['kernel', 'user']);
      // counter tracks end at the run's totals
      const last = (name: string) => events.filter((e) => e.ph === 'C' && e.name === name).at(-1)!.args!;
      expect(last('TLB misses').misses).to.equal(result.events.tlb.by.misses);
      const byPhase = last('cycles by phase') as Record<Phase, number>;
      expect(byPhase.guest + byPhase.vmm + byPhase.translation).to.be.closeTo(result.cycles.total, 1e-6 * result.cycles.total);
      if (strategy === 'hardware-assisted') {
        for (const reason of Object.keys(result.events.exits.by)) expect(names, strategy).to.include(`VM exit: ${reason}`);
      }
      if (strategy === 'binary-translation') expect(names).to.include('translation');
      if (strategy === 'trap-and-emulate') expect(names).to.include('monitor trap: exception 13');
    }
  });

  it('traces every vCPU of a multiprocessor run as its own process, on its own clock', async () => {
    const file = path.join(tmpdir(), 'smp.json');
    const r = await cli('run', '--strategy', 'hardware-assisted', '--option', 'paging=nested', '--profile', 'nehalem-2009', '--workload', 'pcompute', '--vcpus', '2', '--param', 'n=5', '--trace', file, '--json');
    expect(r.code, r.err).to.equal(0);
    const result = JSON.parse(r.out) as { perVcpu: { cycles: number }[] };
    const t = readTrace(file);
    expect(t.otherData).to.include({ vcpus: 2 });
    const events = t.traceEvents as (Event & { pid: number })[];
    expect(events.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args!.name])).to.deep.equal([
      [1, 'vCPU 0: hardware-assisted: pcompute on nehalem-2009'],
      [2, 'vCPU 1: hardware-assisted: pcompute on nehalem-2009'],
    ]);
    const perMicro = 2930; // nehalem-2009 at 2.93 GHz
    for (const [k, v] of result.perVcpu.entries()) {
      const cycles = events.filter((e) => e.ph === 'X' && e.pid === k + 1).reduce((a, e) => a + e.dur! * perMicro, 0);
      expect(cycles, `vCPU ${k}`).to.be.closeTo(v.cycles, 1e-6 * v.cycles);
    }
  });

  it('experiment --trace writes one trace per run into DIR/traces', async () => {
    const dir = tmpdir();
    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({ name: 'traced', strategies: [{ name: 'native' }, { name: 'paravirt', options: { batching: ['on', 'off'] } }], workloads: [{ name: 'syscall', params: { n: 5 } }], profiles: ['netburst-2006'], output: { charts: [] } }),
    );
    const out = path.join(dir, 'out');
    const r = await cli('experiment', spec, '--out', out, '--workers', '1', '--trace');
    expect(r.code, r.err + r.out).to.equal(0);
    expect(fs.readdirSync(path.join(out, 'traces')).sort()).to.deep.equal([
      '000000-native-syscall-netburst-2006.json',
      '000001-paravirt-syscall-netburst-2006.json',
      '000002-paravirt-batching=off-syscall-netburst-2006.json',
    ]);
    const t = readTrace(path.join(out, 'traces', '000002-paravirt-batching=off-syscall-netburst-2006.json'));
    expect(t.otherData).to.include({ strategy: 'paravirt', workload: 'syscall' });
    expect(t.traceEvents.some((e) => e.ph === 'X' && e.name === 'kernel')).to.equal(true);
    // without --trace, none
    const plain = await cli('experiment', spec, '--out', path.join(dir, 'plain'), '--workers', '1');
    expect(plain.code).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'plain', 'traces'))).to.equal(false);
  });

  it('shows a trap-and-emulate monitor taking traps', async () => {
    const file = path.join(tmpdir(), 'te.json');
    await cli('run', '--strategy', 'trap-and-emulate', '--isa', 'virtualizable', '--workload', 'syscall', '--param', 'n=5', '--trace', file);
    const names = readTrace(file).traceEvents.map((e) => e.name);
    expect(names).to.include('monitor trap: sysenter');
    expect(names).to.include('monitor trap: exception 13');
  });

  it('loads strategies from a module file, and explains a module that cannot be loaded', async () => {
    const example = path.join(__dirname, '..', '..', '..', 'experiments', 'examples', 'minimal-vmm.ts');
    const r = await cli('run', '--strategy-module', example, '--strategy', 'minimal-vmm', '--workload', 'syscall', '--param', 'n=20', '--profile', 'nehalem-2009', '--json');
    expect(r.code, r.err).to.equal(0);
    expect(JSON.parse(r.out).equivalent).to.equal(true);
    const missing = await cli('run', '--strategy-module', '/nonexistent/x.ts', '--strategy', 'x', '--workload', 'syscall');
    expect(missing.code).to.equal(2);
    expect(missing.err).to.contain("cannot load strategy module '/nonexistent/x.ts'");
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'empty.ts'), 'export const x = 1;\n');
    const empty = await cli('run', '--strategy-module', path.join(dir, 'empty.ts'), '--strategy', 'x', '--workload', 'syscall');
    expect(empty.err).to.contain('exports no strategy');
  });
});
