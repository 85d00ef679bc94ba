/**
 * Published tables to set ringlab's figures beside: one JSON file per table
 * (experiments/validation/*.json), each with its source, the cost profile of the machine it
 * was measured on, its unit, and rows of workload + parameters + strategy (+ options) +
 * published value. A user adds another paper's table by writing one file.
 * @category Validation
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { formatValidationErrors } from '../../core/codec/format-errors';

/** Units a published figure can be compared in. */
export const Unit = t.keyof({ 'cycles per operation': null, 'slowdown': null, 'seconds per operation': null });

/** One published figure. */
export const PublishedRow = t.intersection([
  t.type({ workload: t.string, strategy: t.string, value: t.number }),
  t.partial({ params: t.record(t.string, t.number), options: t.record(t.string, t.union([t.string, t.number])), note: t.string }),
]);

/** A published table. */
export const PublishedTableCodec = t.type({
  /** the paper, its figure or table, the machine */
  source: t.string,
  /** the cost profile of the machine the figures were measured on */
  profile: t.string,
  unit: Unit,
  rows: t.array(PublishedRow),
});

/** A decoded published table, with the file it came from. */
export type PublishedTable = t.TypeOf<typeof PublishedTableCodec> & { readonly file: string };

/** Folder of the shipped tables. */
export const VALIDATION_DIR = __dirname;

/** The shipped tables' files. */
export const shippedTables = (): string[] =>
  fs
    .readdirSync(VALIDATION_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(VALIDATION_DIR, f));

/** Read and decode a table file; every problem at once. */
export const loadPublishedTable = (file: string): Either<string[], PublishedTable> => {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return left([`cannot read validation table '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`]);
  }
  const r = PublishedTableCodec.decode(json);
  if (isLeft(r)) return left(formatValidationErrors(r.left).map((e) => `${file}: ${e}`));
  if (r.right.rows.length === 0) return left([`${file}: rows: expected at least one row, got []`]);
  return right({ ...r.right, file });
};
