/**
 * The io-ts codecs of results-file rows: a run (a run result plus its place in the
 * experiment, `kind: "run"`, or no `kind` in rows written before host rows) or a host run
 * of the `hosts` axis (`kind: "host"`: `ringlab host`'s result, its host spec, the swept
 * settings and its timeline). Rows are validated when written and when read, so a results
 * file that does not fit is reported path by path instead of producing wrong charts.
 * @category Results
 */
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as path from 'path';
import * as t from 'io-ts';
import { formatValidationErrors } from '../../core/codec/format-errors';
import { FORMAT_VERSION, formatVersionProblem } from '../common/format-version';
import type { RunProvenance } from '../common/provenance';
import { RunResultCodec, type RunResult } from '../run/result';
import type { HostResult } from '../host/run-host';
import type { HostSpec } from '../host/spec';
import type { HostSettingValue } from '../spec/host-axis';

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
  // rows written before the hosts axis have no kind: runs
  t.partial({ kind: t.literal('run') }),
]);

const Num = t.number;

/** A host row of results.jsonl: `ringlab host`'s result, with its host spec, swept settings, timeline, place and provenance. */
export const HostRowCodec = t.type({
  kind: t.literal('host'),
  formatVersion: t.literal(FORMAT_VERSION),
  experiment: t.string,
  key: t.string,
  index: Num,
  label: t.string,
  repetition: Num,
  seed: Num,
  specHash: t.string,
  commit: t.string,
  modified: t.boolean,
  ringlabVersion: t.string,
  /** the host spec run (the swept settings applied) */
  hostSpec: t.UnknownRecord,
  /** the swept settings, by path into the host spec */
  settings: t.record(t.string, t.union([t.string, Num, t.array(Num)])),
  vms: t.array(
    t.type({
      name: t.string,
      progress: Num,
      slowdown: t.union([Num, t.null]),
      perVcpu: t.array(t.intersection([t.type({ '%USED': Num, '%RUN': Num, '%RDY': Num, '%CSTP': Num, '%WAIT': Num, '%IDLE': Num, '%MLMTD': Num }), t.record(t.string, t.unknown)])),
    }),
  ),
  pcpus: t.array(t.intersection([t.type({ id: Num, core: Num, '%UTIL': Num, '%USED': Num }), t.record(t.string, t.unknown)])),
  energyJoules: Num,
  seconds: Num,
  averageFrequencyHz: Num,
  scheduler: t.string,
  governor: t.string,
  profile: t.string,
  /** who ran where: back-to-back stretches of a world on a logical CPU joined, modelled ms */
  timeline: t.array(t.type({ lcpu: Num, world: t.string, startMs: Num, endMs: Num })),
  host: t.type({ wallMs: Num }),
});

/** Where a run sits in its experiment. */
export interface RunPlace {
  readonly experiment: string;
  readonly key: string;
  readonly index: number;
  readonly label: string;
  readonly repetition: number;
  readonly seed: number;
}

/** A results row of a run. */
export type ResultRow = RunResult & RunPlace & RunProvenance & { readonly formatVersion: typeof FORMAT_VERSION; readonly kind?: 'run' };

/** A results row of a host run: `ringlab host`'s result (HostResult) with what the codec checks. */
export type HostRow = t.TypeOf<typeof HostRowCodec> & { readonly hostSpec: HostSpec; readonly settings: Readonly<Record<string, HostSettingValue>> } & Omit<HostResult, 'vms' | 'pcpus'> & {
    readonly vms: HostResult['vms'];
    readonly pcpus: HostResult['pcpus'];
  };

/** Any row of results.jsonl. */
export type ExperimentRow = ResultRow | HostRow;

/** Whether a row is a host run's. */
export const isHostRow = (r: ExperimentRow): r is HostRow => r.kind === 'host';

/** The run rows of `rows`. */
export const runRowsOf = (rows: readonly ExperimentRow[]): ResultRow[] => rows.filter((r): r is ResultRow => !isHostRow(r));

/** The host rows of `rows`. */
export const hostRowsOf = (rows: readonly ExperimentRow[]): HostRow[] => rows.filter(isHostRow);

/** Check a row by its kind; the error lists every mismatch. */
export const validateRow = (row: unknown, where: string): Either<string, ExperimentRow> => {
  const host = (row as { kind?: unknown } | null)?.kind === 'host';
  const r = host ? HostRowCodec.decode(row) : ResultRowCodec.decode(row);
  return isLeft(r) ? left(`${where}: invalid ${host ? 'host ' : ''}result row\n  ${formatValidationErrors(r.left).join('\n  ')}`) : right(row as ExperimentRow);
};

/** Parse a results.jsonl text; every bad line is reported. */
export const parseResults = (text: string, file: string): Either<string[], ExperimentRow[]> => {
  const rows: ExperimentRow[] = [];
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
