/**
 * `ringlab validate`: each published figure of a table beside ringlab's for the same
 * workload, strategy and machine, their ratio, and per workload the strategies' ordering in
 * both. A miss is shown as a miss: nothing here adjusts a cost (costs come from per-event
 * sources, never from whole-workload results).
 * @category Validation
 */
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { formatNumber, table } from '../common/format';
import { runOne } from '../run/run-one';
import type { RunResult } from '../run/result';
import type { PublishedTable } from './published-table';

/** One published figure and ringlab's. */
export interface ComparedRow {
  readonly workload: string;
  readonly params: Readonly<Record<string, number>>;
  readonly strategy: string;
  readonly options: Readonly<Record<string, string | number>>;
  readonly published: number;
  /** ringlab's figure in the table's unit, or null if the run failed */
  readonly ringlab: number | null;
  /** ringlab / published */
  readonly ratio: number | null;
  readonly note?: string;
  /** why there is no figure */
  readonly error?: string;
}

/** The strategies of one workload in increasing order of the figure, published and ringlab's. */
export interface Ordering {
  readonly workload: string;
  readonly published: readonly string[];
  readonly ringlab: readonly string[];
  readonly agree: boolean;
}

/** A table compared. */
export interface ComparedTable {
  readonly file: string;
  readonly source: string;
  readonly profile: string;
  readonly unit: string;
  readonly rows: readonly ComparedRow[];
  readonly orderings: readonly Ordering[];
}

const figure = (r: RunResult, unit: PublishedTable['unit']): number | null => {
  const n = r.params.n ?? 1;
  switch (unit) {
    case 'cycles per operation':
      return r.cycles.perOperation;
    case 'slowdown':
      return r.slowdown;
    case 'seconds per operation':
      return n > 0 ? r.regionSeconds / n : null;
  }
};

const order = (rows: readonly ComparedRow[], value: (r: ComparedRow) => number | null): string[] =>
  [...rows].filter((r) => value(r) !== null).sort((a, b) => (value(a) as number) - (value(b) as number)).map((r) => r.strategy);

/** Run every row of a table and set ringlab's figures beside the published ones. */
export const compareTable = (t: PublishedTable): ComparedTable => {
  const rows = t.rows.map((row): ComparedRow => {
    const r = runOne({ strategy: row.strategy, options: row.options, workload: row.workload, params: row.params, profile: t.profile });
    const base = { workload: row.workload, params: row.params ?? {}, strategy: row.strategy, options: row.options ?? {}, published: row.value, note: row.note };
    if (isLeft(r)) return { ...base, ringlab: null, ratio: null, error: r.left.join('; ') };
    const ringlab = r.right.equivalent ? figure(r.right, t.unit) : null;
    return { ...base, ringlab, ratio: ringlab === null || row.value === 0 ? null : ringlab / row.value, ...(r.right.equivalent ? {} : { error: `not equivalent: ${r.right.divergence}` }) };
  });
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const orderings = workloads
    .map((w) => rows.filter((r) => r.workload === w))
    .filter((rs) => rs.length > 1)
    .map((rs) => {
      const published = order(rs, (r) => r.published);
      const ringlab = order(rs, (r) => r.ringlab);
      return { workload: rs[0].workload, published, ringlab, agree: published.join() === ringlab.join() };
    });
  return { file: t.file, source: t.source, profile: t.profile, unit: t.unit, rows, orderings };
};

const fmt = (n: number | null): string => (n === null ? '-' : formatNumber(Math.round(n * 1000) / 1000));

/** Human-readable form of compared tables. */
export const renderCompared = (tables: readonly ComparedTable[]): string =>
  tables
    .map((t) =>
      [
        `${t.source}`,
        `(${path.relative(process.cwd(), t.file).startsWith('..') ? t.file : path.relative(process.cwd(), t.file)}; profile ${t.profile}; ${t.unit})`,
        '',
        table(
          ['workload', 'strategy', 'published', 'ringlab', 'ringlab / published', 'note'],
          t.rows.map((r) => [
            `${r.workload}${Object.keys(r.params).length ? ` (${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`,
            `${r.strategy}${Object.keys(r.options).length ? ` (${Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`,
            fmt(r.published),
            fmt(r.ringlab),
            r.ratio === null ? '-' : `${fmt(r.ratio)}x`,
            r.error ?? r.note ?? '',
          ]),
        ),
        '',
        'ordering (cheapest first):',
        ...t.orderings.map((o) => `  ${o.workload}: published ${o.published.join(' < ')}; ringlab ${o.ringlab.join(' < ')} -> ${o.agree ? 'same order' : 'MISS: another order'}`),
      ].join('\n'),
    )
    .join('\n\n');
