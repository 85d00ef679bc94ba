import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from '../cli/helpers';

const readTrace = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: { name: string; cat: string; ph: string; ts: number; args?: Record<string, unknown> }[]; otherData: Record<string, unknown> };

describe('CLI: run --trace', function () {
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
