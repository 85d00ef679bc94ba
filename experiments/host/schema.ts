/**
 * The host spec format's JSON Schema (experiments/host/host.schema.json), generated from the
 * codec. `node -r ts-node/register/transpile-only experiments/host/schema.ts` writes it; a
 * test checks the checked-in file is up to date and that the shipped specs validate.
 * @category Experiments
 */
import * as fs from 'fs';
import * as path from 'path';
import { toJsonSchema } from '../spec/json-schema';
import { HostSpecCodec } from './spec';

/** Where the schema lives. */
export const HOST_SCHEMA_FILE = path.join(__dirname, 'host.schema.json');

/** The schema document. */
export const hostSchema = () => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://ringlab.invalid/host-spec.schema.json',
  title: 'ringlab host spec',
  description: 'VMs on a modelled host: its hardware and power policy, the scheduler, the VMs and when to stop (`ringlab host`). Generated from experiments/host/spec.ts; do not edit.',
  ...toJsonSchema(HostSpecCodec),
});

/** Serialised schema, as written to HOST_SCHEMA_FILE. */
export const hostSchemaText = (): string => `${JSON.stringify(hostSchema(), null, 2)}\n`;

if (require.main === module) fs.writeFileSync(HOST_SCHEMA_FILE, hostSchemaText());
