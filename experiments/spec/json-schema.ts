/**
 * JSON Schema derived from io-ts codecs, so editors complete and check spec files against
 * the same definition the runner decodes with. Covers the combinators the spec codecs use,
 * plus what a codec cannot say: a description per property (`describe`, whose type asks for
 * every property) and extra keywords such as enums of registered names (`withSchema`,
 * computed when the schema is generated). Also: a strict-keys check (io-ts ignores unknown
 * properties; a typo in a spec must not be silently ignored).
 * @category Experiments
 */
import * as t from 'io-ts';

/** A JSON Schema (draft 2020-12) fragment. */
export type JsonSchema = Record<string, unknown>;

type Tagged = t.Mixed & { _tag?: string };

/** What a codec's schema adds to what the codec says. */
interface Annotation {
  readonly descriptions?: Readonly<Record<string, string>>;
  readonly extra?: () => JsonSchema;
}

const ANNOTATIONS = new WeakMap<t.Mixed, Annotation>();

/** Describe each property of an object codec (one description per property, checked by the type); returns the codec. */
export const describe = <C extends t.InterfaceType<t.Props> | t.PartialType<t.Props>>(c: C, descriptions: { readonly [K in keyof C['props']]: string }): C => {
  ANNOTATIONS.set(c, { ...ANNOTATIONS.get(c), descriptions: descriptions as Record<string, string> });
  return c;
};

/** Add JSON Schema keywords to a codec's schema, computed at generation time (decoding is unchanged); returns the codec. */
export const withSchema = <C extends t.Mixed>(c: C, extra: () => JsonSchema): C => {
  ANNOTATIONS.set(c, { ...ANNOTATIONS.get(c), extra });
  return c;
};

/** Object properties of an interface/partial/intersection codec, with which are required and their descriptions; null if not such a codec. */
const objectProps = (c: Tagged): { props: Record<string, t.Mixed>; required: string[]; descriptions: Record<string, string> } | null => {
  const descriptions = { ...ANNOTATIONS.get(c)?.descriptions };
  if (c instanceof t.InterfaceType) return { props: c.props as Record<string, t.Mixed>, required: Object.keys(c.props), descriptions };
  if (c instanceof t.PartialType) return { props: c.props as Record<string, t.Mixed>, required: [], descriptions };
  if (c instanceof t.IntersectionType) {
    const parts = (c.types as t.Mixed[]).map((x) => objectProps(x));
    if (parts.some((p) => p === null)) return null;
    return {
      props: Object.assign({}, ...parts.map((p) => p!.props)),
      required: parts.flatMap((p) => p!.required),
      descriptions: Object.assign(descriptions, ...parts.map((p) => p!.descriptions)),
    };
  }
  return null;
};

/** Derive a JSON Schema from a codec. */
export const toJsonSchema = (c: t.Mixed): JsonSchema => {
  const extra = ANNOTATIONS.get(c)?.extra?.() ?? {};
  return { ...baseSchema(c), ...extra };
};

const baseSchema = (c: t.Mixed): JsonSchema => {
  const obj = objectProps(c);
  if (obj)
    return {
      type: 'object',
      properties: Object.fromEntries(
        Object.entries(obj.props).map(([k, v]) => [k, { ...(obj.descriptions[k] !== undefined ? { description: obj.descriptions[k] } : {}), ...toJsonSchema(v) }]),
      ),
      ...(obj.required.length ? { required: obj.required } : {}),
      additionalProperties: false,
    };
  if (c instanceof t.UnionType) return { anyOf: (c.types as t.Mixed[]).map(toJsonSchema) };
  if (c instanceof t.ArrayType) return { type: 'array', items: toJsonSchema(c.type as t.Mixed) };
  if (c instanceof t.DictionaryType) return { type: 'object', additionalProperties: toJsonSchema(c.codomain as t.Mixed) };
  if (c instanceof t.KeyofType) return { enum: Object.keys(c.keys as object) };
  if (c instanceof t.LiteralType) return { const: c.value };
  if (c instanceof t.AnyDictionaryType) return { type: 'object' };
  if (c instanceof t.StringType) return { type: 'string' };
  if (c instanceof t.NumberType) return { type: 'number' };
  if (c instanceof t.BooleanType) return { type: 'boolean' };
  throw new Error(`internal error: no JSON Schema for codec ${c.name}`);
};

/** Unknown properties in `value` (by path), for object codecs nested in objects and arrays. */
export const unknownKeys = (c: t.Mixed, value: unknown, path = ''): string[] => {
  const obj = objectProps(c);
  if (obj && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const where = path ? `${path}.${k}` : k;
      if (!(k in obj.props)) out.push(`${where}: unknown property (expected one of ${Object.keys(obj.props).join(', ')})`);
      else out.push(...unknownKeys(obj.props[k], v, where));
    }
    return out;
  }
  if (c instanceof t.ArrayType && Array.isArray(value)) return value.flatMap((v, i) => unknownKeys(c.type as t.Mixed, v, `${path}[${i}]`));
  return [];
};
