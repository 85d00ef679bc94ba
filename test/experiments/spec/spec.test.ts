import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, isRight } from 'fp-ts/Either';
import { loadSpec, parseSpec } from '../../../experiments/spec/load';
import { expandMatrix, product } from '../../../experiments/spec/matrix';
import { SCHEMA_FILE, specSchemaText } from '../../../experiments/spec/schema';

const SHIPPED = ['nanobench', 'macro', 'generations', 'ablations'];

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
    it(`shipped ${name}.json is valid, references the schema, and expands to runs`, () => {
      const file = path.join(__dirname, '..', '..', '..', 'experiments', `${name}.json`);
      const r = loadSpec(file);
      if (isLeft(r)) throw new Error(r.left.join('\n'));
      expect(r.right.spec.$schema).to.equal('./spec.schema.json');
      expect(r.right.spec.name).to.equal(name);
      const m = expandMatrix(r.right.spec);
      if (isLeft(m)) throw new Error(m.left.join('\n'));
      expect(m.right.runs.length).to.be.greaterThan(10);
      expect(new Set(m.right.runs.map((x) => x.key)).size, 'keys are unique').to.equal(m.right.runs.length);
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
    expect(text).to.contain('machine: tlbEntries must be a power of two');
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
