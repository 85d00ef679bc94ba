/**
 * JSON Schema derived from io-ts codecs, so editors complete and check spec files against
 * the same definition the runner decodes with. Covers the combinators the spec codecs use.
 * Also: a strict-keys check (io-ts ignores unknown properties; a typo in a spec must not be
 * silently ignored).
 * @category Experiments
 */
import * as t from 'io-ts';

/** A JSON Schema (draft 2020-12) fragment. */
export type JsonSchema = Record<string, unknown>;

type Tagged = t.Mixed & { _tag?: string };

/** Object properties of an interface/partial/intersection codec, with which are required; null if not such a codec. */
const objectProps = (c: Tagged): { props: Record<string, t.Mixed>; required: string[] } | null => {
  if (c instanceof t.InterfaceType) return { props: c.props as Record<string, t.Mixed>, required: Object.keys(c.props) };
  if (c instanceof t.PartialType) return { props: c.props as Record<string, t.Mixed>, required: [] };
  if (c instanceof t.IntersectionType) {
    const parts = (c.types as t.Mixed[]).map((x) => objectProps(x));
    if (parts.some((p) => p === null)) return null;
    return {
      props: Object.assign({}, ...parts.map((p) => p!.props)),
      required: parts.flatMap((p) => p!.required),
    };
  }
  return null;
};

/** Derive a JSON Schema from a codec. */
export const toJsonSchema = (c: t.Mixed): JsonSchema => {
  const obj = objectProps(c);
  if (obj)
    return {
      type: 'object',
      properties: Object.fromEntries(Object.entries(obj.props).map(([k, v]) => [k, toJsonSchema(v)])),
      ...(obj.required.length ? { required: obj.required } : {}),
      additionalProperties: false,
    };
  if (c instanceof t.UnionType) return { anyOf: (c.types as t.Mixed[]).map(toJsonSchema) };
  if (c instanceof t.ArrayType) return { type: 'array', items: toJsonSchema(c.type as t.Mixed) };
  if (c instanceof t.DictionaryType) return { type: 'object', additionalProperties: toJsonSchema(c.codomain as t.Mixed) };
  if (c instanceof t.KeyofType) return { enum: Object.keys(c.keys as object) };
  if (c instanceof t.LiteralType) return { const: c.value };
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
