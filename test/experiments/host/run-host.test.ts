import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { runHostSpec } from '../../../experiments/host/run-host';
import { parseHostSpec, type HostSpec } from '../../../experiments/host/spec';
import { runOne } from '../../../experiments/run/run-one';
import Ajv2020 from 'ajv/dist/2020';
import { HOST_SCHEMA_FILE, hostSchema, hostSchemaText } from '../../../experiments/host/schema';
import { cli, tmpdir } from '../cli/helpers';

const host = { sockets: 1, cores: 2, threads: 2, numbering: 'esxi' as const, profile: 'modern', governor: 'performance' as const };
const spec = (vms: HostSpec['vms'], extra: Partial<HostSpec> = {}): HostSpec => ({ host, scheduler: { name: 'esx' }, vms, ...extra });
const ha = { strategy: 'hardware-assisted', options: { paging: 'nested' } };

describe('experiments/host', function () {
  this.timeout(120_000);

  for (const workload of ['io', 'compute'] as const) {
    it(`reproduces ringlab run with one VM alone on the host (${workload}: same guest result, instructions and cycles; halted time is %WAIT)`, () => {
      const n = workload === 'io' ? 6 : 60;
      const single = runOne({ strategy: 'hardware-assisted', options: { paging: 'nested' }, workload, params: { n }, profile: 'modern' });
      const hosted = runHostSpec(spec([{ name: 'vm', ...ha, workload, params: { n } }]));
      if (isLeft(single) || isLeft(hosted)) throw new Error('run failed');
      const s = single.right;
      const vm = hosted.right.vms[0];
      expect(vm.console).to.equal(s.console);
      expect(vm.digest).to.equal(s.digest);
      expect(vm.exitCode).to.equal(0);
      expect(vm.instructions).to.equal(s.guest.instructions);
      const halted = s.cycles.breakdown.halted ?? 0;
      expect(vm.cycles).to.equal(s.cycles.total - halted);
      expect(vm.regionSeconds).to.be.closeTo(s.regionSeconds, 1e-9);
      expect(vm.slowdown).to.equal(1);
      const m = vm.perVcpu[0];
      expect(m['%RDY']).to.equal(0);
      expect(m.lateTicks).to.equal(0);
      if (workload === 'io') expect(m['%WAIT']).to.be.greaterThan(50);
    });
  }

  it('gives identical JSON for the same spec, host metadata aside', () => {
    const s = spec([{ name: 'a', ...ha, workload: 'compute', params: { n: 40 }, affinity: [0, 1] }, { name: 'b', ...ha, workload: 'io', params: { n: 2 }, affinity: [0, 1] }]);
    const a = runHostSpec(s);
    const b = runHostSpec(s);
    if (isLeft(a) || isLeft(b)) throw new Error('run failed');
    expect({ ...a.right, host: null }).to.deep.equal({ ...b.right, host: null });
  });

  it('reports every problem of a spec with its path', () => {
    const bad = {
      host: { ...host, numbering: 'bsd', cores: 0 },
      scheduler: { name: 'esx', quantumMs: -1 },
      vms: [{ name: 'a', strategy: 'vmware', workload: 'compute', vcpus: 2, affinity: [9], colour: 'red' }],
    };
    const r = parseHostSpec(JSON.stringify(bad), 's.json');
    expect(isLeft(r)).to.equal(true);
    const text = isLeft(r) ? r.left.join('\n') : '';
    expect(text).to.match(/s\.json: host\.numbering: expected/);
    expect(text).to.match(/vms\[0\]\.colour: unknown property/);
    const good = { ...bad, host, vms: [{ name: 'a', strategy: 'vmware', workload: 'compute', vcpus: 9, affinity: [9] }] };
    const r2 = parseHostSpec(JSON.stringify({ ...good, scheduler: { name: 'esx', quantumMs: -1 } }), 's.json');
    const t2 = isLeft(r2) ? r2.left.join('\n') : '';
    expect(t2).to.match(/scheduler\.quantumMs: expected a positive number/);
    expect(t2).to.match(/vms\[0\]\.strategy: /);
    expect(t2).to.match(/vms\[0\]\.vcpus: expected an integer from 1 to 8, got 9/);
    const smp = (strategy: string, vcpus: number, coscheduling: string) =>
      parseHostSpec(JSON.stringify({ host, scheduler: { name: 'esx', coscheduling }, vms: [{ name: 'a', strategy, workload: 'pcompute', vcpus }] }), 's.json');
    const t3 = (r: ReturnType<typeof smp>) => (isLeft(r) ? r.left.join('\n') : '');
    expect(t3(smp('native', 6, 'strict'))).to.match(/vms\[0\]\.vcpus: 6 vCPUs under strict co-scheduling need as many logical CPUs at once, but it may run on 4/);
    expect(isLeft(smp('native', 4, 'strict'))).to.equal(false);
    expect(t2).to.match(/vms\[0\]\.affinity\[0\]: expected an integer from 0 to 3, got 9/);
  });

  it('ringlab host: the JSON fields of the issue, exit 2 on a bad spec', async () => {
    const dir = tmpdir();
    const file = path.join(dir, 'h.json');
    fs.writeFileSync(file, JSON.stringify({ ...spec([{ name: 'web', ...ha, workload: 'compute', params: { n: 400 }, shares: 'normal', affinity: [0, 1] }]), until: { seconds: 0.001 } }));
    const r = await cli('host', file, '--json', '--out', dir, '--trace', path.join(dir, 't.json'));
    expect(r.code, r.err).to.equal(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).to.include.members(['vms', 'pcpus', 'energyJoules', 'seconds']);
    expect(Object.keys(j.vms[0])).to.include.members(['name', 'progress', 'slowdown', 'perVcpu']);
    expect(Object.keys(j.vms[0].perVcpu[0])).to.include.members(['%USED', '%RUN', '%RDY', '%CSTP', '%WAIT', '%IDLE', '%MLMTD']);
    expect(Object.keys(j.pcpus[0])).to.include.members(['id', 'core', '%UTIL', '%USED']);
    expect(j.seconds).to.be.closeTo(0.001, 1e-5);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'host-result.json'), 'utf8')).vms[0].name).to.equal('web');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 't.json'), 'utf8')).traceEvents.some((e: { tid: number; ph: string }) => e.ph === 'X')).to.equal(true);
    fs.writeFileSync(file, '{"host": {}}');
    const bad = await cli('host', file);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.match(/host\.sockets: expected/);
    expect((await cli('host', path.join(dir, 'none.json'))).err).to.match(/no such file/);
  });
});

describe('experiments/host: the JSON Schema and the shipped specs', function () {
  this.timeout(60_000);
  it('the checked-in schema is the codec\'s, and every shipped spec passes both', () => {
    expect(fs.readFileSync(HOST_SCHEMA_FILE, 'utf8')).to.equal(hostSchemaText());
    const validate = new Ajv2020({ strict: false }).compile(hostSchema());
    const dir = path.join(__dirname, '..', '..', '..', 'experiments', 'host', 'specs');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.greaterThan(5);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(validate(JSON.parse(text)), `${f}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      const r = parseHostSpec(text, f);
      expect(isLeft(r) ? r.left : [], f).to.deep.equal([]);
    }
  });
});
