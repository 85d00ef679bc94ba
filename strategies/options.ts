/**
 * Resolving `--option k=v` values against a strategy's declared options: unknown names and
 * values outside the choices or range are refused with the valid ones named.
 * @category Strategies
 */
import { left, right, type Either } from 'fp-ts/Either';
import type { OptionValues, Strategy, StrategyOption } from './strategy';

const describe = (o: StrategyOption): string =>
  o.kind === 'choice' ? o.choices.join(' | ') : `an integer from ${o.min} to ${o.max}`;

/** Resolve given option strings (or numbers) to values, filling defaults. All errors at once. */
export const resolveOptions = (s: Strategy, given: Readonly<Record<string, string | number>>): Either<string[], OptionValues> => {
  const errors: string[] = [];
  const out: Record<string, string | number> = {};
  const names = Object.keys(s.options);
  for (const k of Object.keys(given))
    if (!(k in s.options))
      errors.push(
        names.length === 0
          ? `strategy '${s.name}' has no options (got '${k}')`
          : `strategy '${s.name}' has no option '${k}'; its options: ${names.join(', ')}`,
      );
  for (const [k, o] of Object.entries(s.options)) {
    const v = given[k];
    if (v === undefined) {
      out[k] = o.default;
      continue;
    }
    if (o.kind === 'choice') {
      if (!o.choices.includes(String(v))) errors.push(`option ${k}=${v} of '${s.name}' is not valid; choose ${describe(o)}`);
      else out[k] = String(v);
    } else {
      const n = typeof v === 'number' ? v : Number(String(v).replace(/_/g, ''));
      if (!Number.isInteger(n) || n < o.min || n > o.max) errors.push(`option ${k}=${v} of '${s.name}' is out of range; expected ${describe(o)}`);
      else out[k] = n;
    }
  }
  return errors.length > 0 ? left(errors) : right(out);
};

/** One line per option: name, valid values, default, description. */
export const describeOptions = (s: Strategy): string[] =>
  Object.entries(s.options).map(([k, o]) => `${k}=${describe(o)} (default ${o.default}): ${o.description}`);
