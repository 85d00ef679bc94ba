/**
 * A readable reporter for io-ts validation errors: one line per error,
 * `path: expected X, got Y`, all errors at once. Hand-written rather than io-ts's
 * PathReporter (a line per failed union member, with the members' numeric keys in the path)
 * or io-ts-reporters (a union becomes a multi-line "Expecting one of:" block of full codec
 * names): this gives every problem the one-line `path: ...` form that spec errors share with
 * the name and value checks (experiments/spec/load.ts), so they read and sort as one list.
 * @category Codecs
 */
import type * as t from 'io-ts';

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** Format io-ts errors as `path: expected X, got Y` lines (deduplicated, deepest first per path). */
export const formatValidationErrors = (errors: t.Errors): string[] => {
  const byPath = new Map<string, { expected: Set<string>; got: unknown }>();
  for (const e of errors) {
    // union members appear as numeric keys of the union's context: drop them from the path
    const segments: string[] = [];
    for (let i = 1; i < e.context.length; i++) {
      const parent = e.context[i - 1].type as t.Any & { _tag?: string };
      if (parent._tag === 'UnionType' || parent._tag === 'IntersectionType') continue;
      segments.push(e.context[i].key);
    }
    const where = segments.length === 0 ? '(root)' : segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
    const last = e.context[e.context.length - 1];
    const entry = byPath.get(where) ?? { expected: new Set<string>(), got: last?.actual };
    entry.expected.add(e.message ?? last?.type.name ?? 'a valid value');
    byPath.set(where, entry);
  }
  return [...byPath.entries()].map(([where, { expected, got }]) => `${where}: expected ${[...expected].join(' or ')}, got ${show(got)}`);
};
