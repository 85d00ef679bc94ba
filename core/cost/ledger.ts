/**
 * The cost model at run time: one ledger per CPU counts every declared event and prices it
 * as it happens, so the ledger's cycle count is the CPU's modelled time and its breakdown by
 * cause always sums to it. Prices come from a cost profile through the counters'
 * declarations (core/cost/counters.ts); nothing else prices anything.
 * @category Cost
 */
import { sameCounter, type CounterSpec, type CounterTable } from './counters';

/** Counts keyed by a detail (vector, port, reason ...). */
export type Breakdown = Record<string, number>;

/** Counted events by counter name: a number for `count` counters, a breakdown for `tally` ones. */
export type Counts = Record<string, number | Breakdown>;

/** A ledger's state at one moment: plain data, JSON-serialisable. */
export interface LedgerSnapshot {
  readonly counts: Counts;
  /** modelled cycles so far */
  readonly cycles: number;
  /** cycles by cause; sums to `cycles` */
  readonly byCause: Readonly<Record<string, number>>;
}

/** Cycles per event of a cost key, or undefined if the profile has no such cost. */
export type PriceOf = (costKey: string) => number | undefined;

/**
 * Prices of a bare machine with no cost profile (bare-metal tools, unit tests): an
 * instruction or a halted cycle is one cycle, everything else is free, so the clock counts
 * instructions retired plus time spent halted.
 */
export const UNIT_PRICES: PriceOf = (key) => (key === 'instruction' || key === 'idleCycle' ? 1 : 0);

const isBreakdown = (v: number | Breakdown | undefined): v is Breakdown => typeof v === 'object';

/** Total of a counter's value (a count, or the sum of a tally's breakdown). */
export const totalOf = (v: number | Breakdown | undefined): number => {
  if (v === undefined) return 0;
  if (!isBreakdown(v)) return v;
  let s = 0;
  for (const k in v) s += v[k];
  return s;
};

/** Cycles charged to one cause. */
interface CauseCell {
  readonly name: string;
  cycles: number;
  /** whether it has been charged (then it is in the breakdown, in order of first charge) */
  listed: boolean;
}

/** One declared counter: its value (a count, or a breakdown for a tally), price and cause. */
interface Slot {
  readonly spec: CounterSpec;
  /** the count of a plain counter */
  value: number;
  /** the breakdown of a tally counter (null for a plain one) */
  readonly breakdown: Breakdown | null;
  /** cycles per event (0: free) */
  readonly price: number;
  /** where its cycles go (null: free) */
  readonly cause: CauseCell | null;
}

/** A declared counter of one ledger (opaque): see {@link Ledger.ref}. */
export interface CounterRef {
  readonly spec: CounterSpec;
}

/**
 * Events counted and priced for one CPU. Each counter is one slot found by a single lookup
 * (its count or breakdown, price and cause together): counting is on every VMM event's path.
 */
export class Ledger {
  /** modelled cycles so far */
  cycles = 0;
  private readonly slots = new Map<string, Slot>();
  private readonly causes = new Map<string, CauseCell>();
  /** causes in order of their first charge (the breakdown's order) */
  private readonly charged: CauseCell[] = [];

  constructor(
    private readonly priceOf: PriceOf,
    tables: readonly CounterTable[] = [],
  ) {
    for (const t of tables) this.declare(t);
  }

  /**
   * Declare counters (a strategy's, before its VMM starts). A priced counter whose cost the
   * profile lacks is refused with the names involved.
   */
  declare(table: CounterTable): void {
    for (const [name, spec] of Object.entries(table)) {
      const had = this.slots.get(name);
      if (had !== undefined) {
        if (sameCounter(had.spec, spec)) continue;
        throw new Error(`internal error: counter '${name}' is declared twice, differently`);
      }
      let price = 0;
      let cause: CauseCell | null = null;
      if ('cost' in spec.pricing) {
        const p = this.priceOf(spec.pricing.cost);
        if (p === undefined) throw new Error(`the cost profile has no cost '${spec.pricing.cost}', which counter '${name}' needs`);
        price = p;
        cause = this.causeCell(spec.pricing.cause);
      }
      this.slots.set(name, { spec, value: 0, breakdown: spec.shape === 'tally' ? {} : null, price, cause });
    }
  }

  private causeCell(name: string): CauseCell {
    let c = this.causes.get(name);
    if (c === undefined) {
      c = { name, cycles: 0, listed: false };
      this.causes.set(name, c);
    }
    return c;
  }

  /** Whether a counter is declared. */
  has(name: string): boolean {
    return this.slots.has(name);
  }

  /** A declared counter, for a path that counts it often ({@link add}, {@link addTo}: no lookup by name). */
  ref(name: string): CounterRef {
    const s = this.slots.get(name);
    if (s === undefined) throw new Error(`internal error: '${name}' is not a declared counter`);
    return s;
  }

  /** Count `n` events of a plain counter. */
  count(name: string, n = 1): void {
    const s = this.slots.get(name);
    if (s === undefined || s.breakdown !== null) throw new Error(`internal error: '${name}' is not a declared plain counter`);
    this.add(s, n);
  }

  /** Count `n` events of a tally counter under `detail`. */
  tally(name: string, detail: string | number, n = 1): void {
    const s = this.slots.get(name);
    if (s === undefined || s.breakdown === null) throw new Error(`internal error: '${name}' is not a declared tally counter`);
    this.addTo(s, detail, n);
  }

  /** Count `n` events of the plain counter `c` (from {@link ref}). */
  add(c: CounterRef, n: number): void {
    const s = c as Slot;
    s.value += n;
    this.charge(s, n);
  }

  /** Count `n` events of the tally counter `c` (from {@link ref}) under `detail`. */
  addTo(c: CounterRef, detail: string | number, n: number): void {
    const s = c as Slot;
    const b = s.breakdown!;
    b[detail] = (b[detail] ?? 0) + n;
    this.charge(s, n);
  }

  /**
   * {@link addTo} for a tally whose details are small integers (instructions by CPL, counted
   * at every burst's end): a property access of its own, which sees only such breakdowns
   * (addTo's sees every tally's names and goes megamorphic).
   */
  addToIndex(c: CounterRef, index: number, n: number): void {
    const s = c as Slot;
    const b = s.breakdown!;
    b[index] = (b[index] ?? 0) + n;
    this.charge(s, n);
  }

  /** Add `n` events' price to the clock and the breakdown. */
  private charge(s: Slot, n: number): void {
    const p = s.price;
    if (p === 0 || n === 0) return;
    const c = p * n;
    this.cycles += c;
    const cell = s.cause!;
    if (!cell.listed) {
      cell.listed = true;
      this.charged.push(cell);
    }
    cell.cycles += c;
  }

  /** Cycles per event of a counter (0 if free). */
  priceOfCounter(name: string): number {
    return this.slots.get(name)?.price ?? 0;
  }

  /** Counts by counter name, in declaration order (tallies' breakdowns are the live objects). */
  get counts(): Counts {
    const out: Counts = {};
    for (const [name, s] of this.slots) out[name] = s.breakdown ?? s.value;
    return out;
  }

  /** Cycles by cause, in order of first charge; sums to `cycles`. */
  get byCause(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.charged) out[c.name] = c.cycles;
    return out;
  }

  /** A copy of the state now. */
  snapshot(): LedgerSnapshot {
    const counts: Counts = {};
    for (const [name, s] of this.slots) counts[name] = s.breakdown !== null ? { ...s.breakdown } : s.value;
    return { counts, cycles: this.cycles, byCause: this.byCause };
  }
}

/** Counts, cycles and breakdown that happened between two snapshots (b - a). */
export const diffSnapshots = (a: LedgerSnapshot, b: LedgerSnapshot): LedgerSnapshot => {
  const counts: Counts = {};
  for (const [name, v] of Object.entries(b.counts)) {
    const old = a.counts[name];
    if (isBreakdown(v)) {
      const d: Breakdown = {};
      for (const [k, n] of Object.entries(v)) {
        const delta = n - ((isBreakdown(old) ? old[k] : 0) ?? 0);
        if (delta !== 0) d[k] = delta;
      }
      counts[name] = d;
    } else counts[name] = v - (typeof old === 'number' ? old : 0);
  }
  const byCause: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byCause)) {
    const d = v - (a.byCause[k] ?? 0);
    if (d !== 0) byCause[k] = d;
  }
  return { counts, cycles: b.cycles - a.cycles, byCause };
};

/** Sum snapshots (of the CPUs of one machine). */
export const sumSnapshots = (all: readonly LedgerSnapshot[]): LedgerSnapshot => {
  const counts: Counts = {};
  const byCause: Record<string, number> = {};
  let cycles = 0;
  for (const s of all) {
    cycles += s.cycles;
    for (const [k, v] of Object.entries(s.byCause)) byCause[k] = (byCause[k] ?? 0) + v;
    for (const [name, v] of Object.entries(s.counts)) {
      const had = counts[name];
      if (isBreakdown(v)) {
        const out: Breakdown = isBreakdown(had) ? had : {};
        for (const [k, n] of Object.entries(v)) out[k] = (out[k] ?? 0) + n;
        counts[name] = out;
      } else counts[name] = (typeof had === 'number' ? had : 0) + v;
    }
  }
  return { counts, cycles, byCause };
};
