import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft, isRight } from 'fp-ts/Either';
import { loadSpec, parseSpec } from '../../../experiments/spec/load';
import { expandMatrix, product } from '../../../experiments/spec/matrix';
import { SCHEMA_FILE, specSchema, specSchemaText } from '../../../experiments/spec/schema';
import Ajv2020 from 'ajv/dist/2020';
import { PROFILE_NAMES } from '../../../core/cost/profile';
import { WORKLOAD_NAMES } from '../../../core/guest/workloads';
import { STRATEGY_NAMES } from '../../../strategies/registry';

type Json = Record<string, unknown>;

/** Every schema under `properties`, with its path. */
const properties = (s: unknown, path = ''): [string, Json][] => {
  if (!s || typeof s !== 'object') return [];
  const out: [string, Json][] = [];
  for (const [k, v] of Object.entries(s as Json)) {
    if (k === 'properties' && v && typeof v === 'object') for (const [name, p] of Object.entries(v as Json)) out.push([`${path}.${name}`, p as Json], ...properties(p, `${path}.${name}`));
    else out.push(...properties(v, k === 'items' ? `${path}[]` : path));
  }
  return out;
};

const SHIPPED = ['nanobench', 'macro', 'generations', 'ablations', 'host'];

describe('experiment specs', () => {
  it('the checked-in JSON Schema is the one generated from the codec (run `npm run schema`)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).to.equal(specSchemaText());
  });

  it('the schema rejects unknown properties and knows the sweepable fields', () => {
    const schema = JSON.parse(specSchemaText());
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.required).to.deep.equal(['name', 'strategies', 'workloads', 'profiles']);
    expect(schema.properties.machine.properties.tlbEntries.anyOf).to.have.length(2);
  });

  for (const name of SHIPPED)
    it(`shipped ${name}.json is valid, references the schema, and expands to runs (or host runs)`, () => {
      const file = path.join(__dirname, '..', '..', '..', 'experiments', `${name}.json`);
      const r = loadSpec(file);
      if (isLeft(r)) throw new Error(r.left.join('\n'));
      expect(r.right.spec.$schema).to.equal('./spec.schema.json');
      expect(r.right.spec.name).to.equal(name);
      const m = expandMatrix(r.right.spec);
      if (isLeft(m)) throw new Error(m.left.join('\n'));
      const tasks = [...m.right.runs, ...m.right.hosts];
      expect(tasks.length).to.be.greaterThan(10);
      expect(new Set(tasks.map((x) => x.key)).size, 'keys are unique').to.equal(tasks.length);
      expect(tasks.map((x) => x.index)).to.deep.equal([...tasks.keys()]);
    });

  it('a spec that is missing, a directory or a FIFO is refused with a message naming it, never read forever', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-spec-'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.json')]);
    const message = (f: string) => {
      const r = loadSpec(f);
      return isLeft(r) ? r.left.join('\n') : 'loaded';
    };
    expect(message(path.join(dir, 'none.json'))).to.equal(`cannot read spec '${path.join(dir, 'none.json')}': no such file`);
    expect(message(dir)).to.equal(`cannot read spec '${dir}': not a regular file (a directory)`);
    expect(message(path.join(dir, 'fifo.json'))).to.equal(`cannot read spec '${path.join(dir, 'fifo.json')}': not a regular file (a FIFO)`);
    fs.rmSync(dir, { recursive: true });
  });

  it('nanobench covers the seven nanobenchmarks under every strategy on netburst-2006', () => {
    const r = loadSpec(path.join(__dirname, '..', '..', '..', 'experiments', 'nanobench.json'));
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    const m = expandMatrix(r.right.spec);
    if (isLeft(m)) throw new Error(m.left.join('\n'));
    expect(new Set(m.right.runs.map((x) => x.workload))).to.deep.equal(new Set(['syscall', 'in', 'cr8wr', 'callret', 'pgfault', 'divzero', 'ptemod']));
    expect(new Set(m.right.runs.map((x) => x.strategy))).to.deep.equal(new Set(['native', 'trap-and-emulate', 'binary-translation', 'paravirt', 'hardware-assisted']));
    expect(new Set(m.right.runs.map((x) => x.profile))).to.deep.equal(new Set(['netburst-2006']));
  });

  it('expands sweeps as a cartesian product in a fixed order, skipping inapplicable combinations', () => {
    expect(product({ a: [1, 2], b: [3] })).to.deep.equal([{ a: 1, b: 3 }, { a: 2, b: 3 }]);
    const spec = parseSpec(
      JSON.stringify({
        name: 'x',
        strategies: [{ name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } }],
        workloads: [{ name: 'syscall', params: { n: [1, 2, 3] } }],
        profiles: ['netburst-2006', 'modern'],
        machine: { tlbEntries: [16, 32] },
        repetitions: 2,
      }),
      'x.json',
    );
    if (isLeft(spec)) throw new Error(spec.left.join('\n'));
    const m = expandMatrix(spec.right);
    if (isLeft(m)) throw new Error(m.left.join('\n'));
    // shadow: 3 n x 2 profiles x 2 tlb x 2 reps = 24; nested: only on modern: 12
    expect(m.right.runs).to.have.length(36);
    expect(m.right.skipped).to.have.length(1);
    expect(m.right.runs.map((r) => r.index)).to.deep.equal([...Array(36).keys()]);
    expect(m.right.runs[0]).to.deep.include({ workload: 'syscall', profile: 'netburst-2006', repetition: 0, machine: { tlbEntries: 16 }, label: 'hardware-assisted' });
    expect(m.right.runs[35].label).to.equal('hardware-assisted (paging=nested)');
  });

  it('reports all problems at once: types, unknown properties, names, values', () => {
    const r = parseSpec(
      JSON.stringify({ name: 'x', strategies: [{ name: 'nope' }], workloads: [{ name: 'syscall', params: { n: 2_000_000_000 } }], profiles: [], colour: 'red', machine: { tlbEntries: 3 } }),
      'x.json',
    );
    expect(isLeft(r)).to.equal(true);
    if (isRight(r)) return;
    expect(r.left.join('\n')).to.contain('x.json: colour: unknown property');
    const empty = parseSpec(JSON.stringify({ name: 'x', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall' }], profiles: [] }), 'x.json');
    expect(isLeft(empty) && empty.left.join('\n')).to.contain('profiles: expected at least one profile, got []');
    const s = parseSpec(JSON.stringify({ name: 'x', strategies: [{ name: 'nope' }], workloads: [{ name: 'syscall', params: { n: 2_000_000_000 } }], profiles: ['modern'], machine: { tlbEntries: 3 } }), 'x.json');
    if (isRight(s)) throw new Error('expected errors');
    const text = s.left.join('\n');
    expect(text).to.contain("strategies[0].name: unknown strategy 'nope'");
    expect(text).to.contain('machine.tlbEntries: must be a power of two');
  });

  it('the schema describes every property and offers the registered strategy, workload, profile names and option values', () => {
    const schema = specSchema() as Json;
    const props = properties(schema);
    expect(props.length).to.be.greaterThan(40);
    for (const [where, p] of props.filter(([, p]) => !('const' in p))) expect(p.description, where).to.be.a('string').and.not.equal('');
    const strategies = (((schema.properties as Json).strategies as Json).items as Json);
    expect(JSON.stringify((strategies.properties as Json).name)).to.contain(JSON.stringify(STRATEGY_NAMES));
    const workloads = (((schema.properties as Json).workloads as Json).items as Json);
    expect(((workloads.properties as Json).name as Json).enum).to.deep.equal(WORKLOAD_NAMES);
    expect(JSON.stringify((schema.properties as Json).profiles)).to.contain(JSON.stringify(PROFILE_NAMES));
    expect(schema.examples).to.have.length(1);
    expect(isRight(parseSpec(JSON.stringify((schema.examples as unknown[])[0]), 'example'))).to.equal(true);
  });

  it('the schema accepts the shipped specs and flags what the runner refuses, as an editor would', () => {
    const validate = new Ajv2020({ strict: false }).compile(specSchema());
    for (const name of SHIPPED) {
      const spec = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'experiments', `${name}.json`), 'utf8'));
      expect(validate(spec), `${name}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
    const base = { name: 'x', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall' }], profiles: ['modern'] };
    const ok = (spec: unknown) => validate(spec);
    expect(ok(base)).to.equal(true);
    expect(ok({ ...base, strategies: [{ name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } }] })).to.equal(true);
    expect(ok({ ...base, strategies: [{ name: 'hardware-assisted', options: { paging: 'magic' } }] }), 'option value').to.equal(false);
    expect(ok({ ...base, strategies: [{ name: 'hardware-assisted', options: { pagign: 'nested' } }] }), 'option name').to.equal(false);
    expect(ok({ ...base, strategies: [{ name: 'binary-translation', options: { unit: 99999 } }] }), 'option range').to.equal(false);
    expect(ok({ ...base, strategies: [{ name: 'my-vmm', options: { anything: 1 } }] }), 'a module strategy').to.equal(true);
    expect(ok({ ...base, workloads: [{ name: 'sycall' }] }), 'workload name').to.equal(false);
    expect(ok({ ...base, workloads: [{ name: 'pgfault', params: { n: 100000 } }] }), 'parameter range').to.equal(false);
    expect(ok({ ...base, profiles: ['pentium'] }), 'profile name').to.equal(false);
    expect(ok({ ...base, profiles: ['my/profile.json'] }), 'profile file').to.equal(true);
  });

  it('reports decode and name/value errors in one list, each with its JSON path', () => {
    const r = parseSpec(
      JSON.stringify({
        name: 3,
        strategies: [{ name: 'vmware' }, { name: 'hardware-assisted', options: { paging: ['shadow', 'magic'] } }, { name: 'paravirt', colour: 'red' }],
        workloads: [{ name: 'sycall' }, { name: 'syscall', params: { n: 'many' } }, { name: 'pgfault', params: { n: [10, 100000] } }],
        profiles: ['pentium', 'modern'],
        machine: { tlbEntries: [64, 3] },
        repetitions: 0,
      }),
      'x.json',
    );
    if (isRight(r)) throw new Error('expected errors');
    expect(r.left).to.include.members([
      'x.json: name: expected string, got 3',
      "x.json: strategies[2].colour: unknown property (expected one of name, options, label, isa)",
      "x.json: workloads[1].params.n: expected number or Array<number>, got \"many\"",
      "x.json: strategies[1].options.paging[1]: option paging=magic of 'hardware-assisted' is not valid; choose shadow | nested",
      'x.json: machine.tlbEntries[1]: must be a power of two from 1 to 65536, got 3',
      'x.json: repetitions: expected an integer >= 1, got 0',
    ]);
    const text = r.left.join('\n');
    expect(text).to.contain("x.json: strategies[0].name: unknown strategy 'vmware'; valid strategies: native, trap-and-emulate");
    expect(text).to.contain("x.json: workloads[0].name: unknown workload 'sycall'");
    expect(text).to.contain('x.json: workloads[2].params.n[1]: parameter n=100000 of workload \'pgfault\' is out of range');
    expect(text).to.contain("x.json: profiles[0]: unknown profile 'pentium'");
  });

  describe('checks beyond the codec', () => {
    const base = { name: 'x', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall', params: { n: 10 } }], profiles: ['modern'] };
    const problems = (spec: object): string[] => {
      const r = parseSpec(JSON.stringify(spec), 'x.json');
      return isLeft(r) ? r.left : [];
    };

    it('a name must be a safe file name: it names the output directory out/NAME', () => {
      for (const name of ['../../../somewhere', 'a/b', '/abs', '', '.', '..', '.hidden', '-x', 'x'.repeat(101), 'a\\b'])
        expect(problems({ ...base, name }), name).to.deep.equal([
          `x.json: name: expected a file name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters: it names the output directory out/NAME), got ${JSON.stringify(name)}`,
        ]);
      for (const name of ['tlb-sweep_2.1', 'A', 'x'.repeat(100)]) expect(problems({ ...base, name }), name).to.deep.equal([]);
    });

    it('an empty list of values to sweep is an error naming its path', () => {
      expect(
        problems({
          ...base,
          isa: [],
          strategies: [{ name: 'hardware-assisted', options: { paging: [] }, isa: [] }],
          workloads: [{ name: 'syscall', params: { n: [] } }],
          machine: { tlbEntries: [] },
        }),
      ).to.deep.equal([
        'x.json: isa: expected at least one value to sweep, got []',
        'x.json: strategies[0].options.paging: expected at least one value to sweep, got []',
        'x.json: strategies[0].isa: expected at least one value to sweep, got []',
        'x.json: workloads[0].params.n: expected at least one value to sweep, got []',
        'x.json: machine.tlbEntries: expected at least one value to sweep, got []',
      ]);
    });

    it('output.sweep must be one of the axes the spec gives values for', () => {
      const spec = { ...base, strategies: [{ name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } }], machine: { tlbEntries: [16, 64] } };
      expect(problems({ ...spec, output: { sweep: 'params.zz' } })).to.deep.equal([
        "x.json: output.sweep: 'params.zz' is not an axis of this spec (expected one of options.paging, params.n, machine.tlbEntries)",
      ]);
      expect(problems({ ...base, workloads: [{ name: 'syscall' }], output: { sweep: 'params.n' } })).to.deep.equal([
        "x.json: output.sweep: 'params.n' is not an axis of this spec (it gives no workload parameters, strategy options or machine settings)",
      ]);
      for (const sweep of ['params.n', 'options.paging', 'machine.tlbEntries']) expect(problems({ ...spec, output: { sweep } }), sweep).to.deep.equal([]);
    });

    it('a matrix of more than a million runs is refused before it is expanded', () => {
      expect(problems({ ...base, workloads: [{ name: 'syscall', params: { n: [1, 2] } }], repetitions: 1e9 })).to.deep.equal([
        'x.json: the matrix has up to 2,000,000,000 runs, more than the maximum of 1,000,000: split it into several specs',
      ]);
    });
  });
});
