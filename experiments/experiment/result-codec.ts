/**
 * The io-ts codec of a results-file row (a run result plus its place in the experiment).
 * Rows are validated when written and when read, so a results file that does not fit is
 * reported path by path instead of producing wrong charts.
 * @category Results
 */
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as path from 'path';
import * as t from 'io-ts';
import { formatValidationErrors } from '../../core/codec/format-errors';
import { FORMAT_VERSION, formatVersionProblem } from '../common/format-version';
import type { RunProvenance } from '../common/provenance';
import { RunResultCodec, type RunResult } from '../run/result';

/** A row of results.jsonl: a run result, where it sits in its experiment, and its provenance. */
export const ResultRowCodec = t.intersection([
  RunResultCodec,
  t.type({
    formatVersion: t.literal(FORMAT_VERSION),
    experiment: t.string,
    key: t.string,
    index: t.number,
    label: t.string,
    repetition: t.number,
    seed: t.number,
    specHash: t.string,
    commit: t.string,
    modified: t.boolean,
    ringlabVersion: t.string,
  }),
]);

/** Where a run sits in its experiment. */
export interface RunPlace {
  readonly experiment: string;
  readonly key: string;
  readonly index: number;
  readonly label: string;
  readonly repetition: number;
  readonly seed: number;
}

/** A results row. */
export type ResultRow = RunResult & RunPlace & RunProvenance & { readonly formatVersion: typeof FORMAT_VERSION };

/** Check a row; the error lists every mismatch. */
export const validateRow = (row: unknown, where: string): Either<string, ResultRow> => {
  const r = ResultRowCodec.decode(row);
  return isLeft(r) ? left(`${where}: invalid result row\n  ${formatValidationErrors(r.left).join('\n  ')}`) : right(row as ResultRow);
};

/** Parse a results.jsonl text; every bad line is reported. */
export const parseResults = (text: string, file: string): Either<string[], ResultRow[]> => {
  const rows: ResultRow[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      errors.push(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); an interrupted write? remove the line or re-run with --resume`);
      return;
    }
    const version = formatVersionProblem((json as { formatVersion?: unknown } | null)?.formatVersion, file, path.dirname(file));
    if (version !== null) {
      // one message for a whole file of another format, not one per line
      if (!errors.includes(version)) errors.push(version);
      return;
    }
    const r = validateRow(json, `${file}:${i + 1}`);
    if (isLeft(r)) errors.push(r.left);
    else rows.push(r.right);
  });
  return errors.length > 0 ? left(errors) : right(rows);
};
