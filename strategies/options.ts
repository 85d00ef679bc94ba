/**
 * Strategy options as typed codecs: each option is declared once with `choice` or
 * `integer` (an io-ts codec plus its description, values and default), and everything else
 * derives from the declaration: the option values' TypeScript type (so `ctx.options.unit` is
 * a number and `ctx.options.paging` a union of its choices), parsing of `--option k=v` and
 * spec values with errors that name the valid values, `ringlab list`, and the equivalence
 * suite's matrix of choices.
 * @category Strategies
 */
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';

/** An option with a fixed set of choices. */
export interface ChoiceOption<C extends string = string> {
  readonly kind: 'choice';
  readonly description: string;
  readonly choices: readonly C[];
  readonly default: C;
  /** decodes one of the choices (from a string) */
  readonly codec: t.Decoder<unknown, C>;
}

/** An integer option in a range. */
export interface IntegerOption {
  readonly kind: 'integer';
  readonly description: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** decodes an integer in range, from a number or a decimal string (underscores allowed) */
  readonly codec: t.Decoder<unknown, number>;
}

/** A declared strategy option. */
export type StrategyOption = ChoiceOption | IntegerOption;

/** A strategy's options, by name. */
export type OptionSpecs = Readonly<Record<string, StrategyOption>>;

/** The resolved values of declared options: every option present, typed by its declaration. */
export type OptionValuesOf<S extends OptionSpecs> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** The value type of one declared option. */
export type ValueOf<O> = O extends ChoiceOption<infer C> ? C : number;

/** Resolved option values of some strategy (string or number per option). */
export type OptionValues = Readonly<Record<string, string | number>>;

/** Declare an option with a fixed set of choices. */
export const choice = <const C extends string>(choices: readonly [C, ...C[]], defaultValue: C, description: string): ChoiceOption<C> => ({
  kind: 'choice',
  description,
  choices,
  default: defaultValue,
  codec: t.keyof(Object.fromEntries(choices.map((c) => [c, null])) as Record<C, null>, choices.join(' | ')) as t.Decoder<unknown, C>,
});

/** Declare an integer option from `min` to `max`. */
export const integer = (min: number, max: number, defaultValue: number, description: string): IntegerOption => ({
  kind: 'integer',
  description,
  min,
  max,
  default: defaultValue,
  codec: new t.Type<number, number, unknown>(
    `an integer from ${min} to ${max}`,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) => {
      const n = typeof u === 'number' ? u : typeof u === 'string' && u.trim() !== '' ? Number(u.replace(/_/g, '')) : NaN;
      return Number.isInteger(n) && n >= min && n <= max ? t.success(n) : t.failure(u, c);
    },
    (n) => n,
  ),
});

const describe = (o: StrategyOption): string => (o.kind === 'choice' ? o.choices.join(' | ') : `an integer from ${o.min} to ${o.max}`);

/** What resolving needs of a strategy: its name and declared options. */
export interface HasOptions<S extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  readonly options: S;
}

/** Resolve given option values (strings from the CLI or values from a spec), filling defaults. All errors at once. */
export const resolveOptions = <S extends OptionSpecs>(s: HasOptions<S>, given: Readonly<Record<string, unknown>>): Either<string[], OptionValuesOf<S>> => {
  const errors: string[] = [];
  const out: Record<string, string | number> = {};
  const names = Object.keys(s.options);
  for (const k of Object.keys(given))
    if (!Object.hasOwn(s.options, k))
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
    const r = o.kind === 'choice' ? o.codec.decode(String(v)) : o.codec.decode(v);
    if (!isLeft(r)) out[k] = r.right;
    else if (o.kind === 'choice') errors.push(`option ${k}=${String(v)} of '${s.name}' is not valid; choose ${describe(o)}`);
    else errors.push(`option ${k}=${String(v)} of '${s.name}' is out of range; expected ${describe(o)}`);
  }
  return errors.length > 0 ? left(errors) : right(out as OptionValuesOf<S>);
};

/** One line per option: name, valid values, default, description. */
export const describeOptions = (s: HasOptions): string[] =>
  Object.entries(s.options).map(([k, o]) => `${k}=${describe(o)} (default ${o.default}): ${o.description}`);

/** Every combination of one choice option set to a non-default value, plus the defaults (the equivalence matrix). */
export const choiceVariants = (s: HasOptions): Record<string, string>[] => [
  {},
  ...Object.entries(s.options).flatMap(([k, o]) => (o.kind === 'choice' ? o.choices.filter((c) => c !== o.default).map((c) => ({ [k]: c })) : [])),
];
