/**
 * Counter declarations: every event the machine or a VMM counts is declared once, next to
 * the code that counts it, with how it is priced: by a profile cost into a cause of the
 * cycle breakdown, or free with the reason. The cost model (core/cost/ledger.ts) prices
 * counted events only through these declarations, so an event that is neither priced nor
 * declared free cannot be counted at all.
 * @category Cost
 */

/** How a counted event is priced. */
export type Pricing =
  /** each event costs the profile's `cost` cycles, shown as `cause` in the breakdown */
  | { readonly cost: string; readonly cause: string }
  /** the event costs nothing by itself; `free` says why (e.g. priced by another counter) */
  | { readonly free: string };

/**
 * A declared counter. `tally`: counted per detail key (an exception vector, a port, an exit
 * reason), the total is the sum; `count`: one number.
 */
export interface CounterSpec {
  readonly shape: 'tally' | 'count';
  readonly description: string;
  readonly pricing: Pricing;
}

/** Counters by name (names are dotted paths such as `tlb.walkReferences`; unique across tables). */
export type CounterTable = Readonly<Record<string, CounterSpec>>;

/** Price each event at the profile cost `cost`, shown as `cause`. */
export const priced = (cost: string, cause: string): Pricing => ({ cost, cause });

/** The event costs nothing by itself, for the reason given. */
export const free = (why: string): Pricing => ({ free: why });

/** A counter with a breakdown by detail key. */
export const tally = (description: string, pricing: Pricing): CounterSpec => ({ shape: 'tally', description, pricing });

/** A plain counter. */
export const count = (description: string, pricing: Pricing): CounterSpec => ({ shape: 'count', description, pricing });

/** The profile cost keys a table's priced counters use. */
export const costKeysOf = (table: CounterTable): string[] => [
  ...new Set(Object.values(table).flatMap((c) => ('cost' in c.pricing ? [c.pricing.cost] : []))),
];

/** The causes a table's priced counters contribute to, in declaration order. */
export const causesOf = (table: CounterTable): string[] => [
  ...new Set(Object.values(table).flatMap((c) => ('cause' in c.pricing ? [c.pricing.cause] : []))),
];

/**
 * Whether two declarations are the same (the same table may be loaded twice, e.g. by a
 * strategy module compiled apart from the build that runs it).
 */
export const sameCounter = (a: CounterSpec, b: CounterSpec): boolean =>
  a === b || (a.shape === b.shape && a.description === b.description && JSON.stringify(a.pricing) === JSON.stringify(b.pricing));

/**
 * Join counter tables into one; a name declared twice with different declarations is an
 * internal error (two owners of one counter).
 */
export const joinTables = (tables: readonly CounterTable[]): CounterTable => {
  const out: Record<string, CounterSpec> = {};
  for (const t of tables)
    for (const [name, spec] of Object.entries(t)) {
      const had = out[name];
      if (had !== undefined && !sameCounter(had, spec)) throw new Error(`internal error: counter '${name}' is declared twice, differently`);
      out[name] = spec;
    }
  return out;
};
