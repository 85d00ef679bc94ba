/**
 * The spec format's JSON Schema file (experiments/spec.schema.json), generated from the codec.
 * `npm run schema` writes it; a test checks the checked-in file is up to date.
 * @category Experiments
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExperimentSpecCodec } from './codec';
import { toJsonSchema } from './json-schema';

/** Where the schema lives (referenced by the shipped specs as "./spec.schema.json"). */
export const SCHEMA_FILE = path.join(__dirname, '..', 'spec.schema.json');

/** A spec for the schema's `examples`: a TLB sweep with shadow and nested paging. */
const EXAMPLE = {
  $schema: './spec.schema.json',
  name: 'tlb-sweep',
  strategies: [{ name: 'native' }, { name: 'hardware-assisted', options: { paging: ['shadow', 'nested'] } }],
  workloads: [{ name: 'pgfault', params: { n: [100, 200] } }],
  profiles: ['nehalem-2009'],
  machine: { tlbEntries: [16, 64, 256] },
  output: { charts: ['slowdown', 'breakdown', 'exits', 'sweep'], sweep: 'machine.tlbEntries' },
};

/** The schema document. */
export const specSchema = () => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://ringlab.invalid/experiment-spec.schema.json',
  title: 'ringlab experiment spec',
  description:
    'A matrix of strategies (with options) x workloads (with parameters) x profiles x ISA variants x machine settings x repetitions. A value given as a list is swept. Generated from experiments/spec/codec.ts; do not edit.',
  ...toJsonSchema(ExperimentSpecCodec),
  examples: [EXAMPLE],
});

/** Serialised schema, as written to SCHEMA_FILE. */
export const specSchemaText = (): string => `${JSON.stringify(specSchema(), null, 2)}\n`;

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, specSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
