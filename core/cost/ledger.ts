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

/** Events counted and priced for one CPU. */
export class Ledger {
  /** modelled cycles so far */
  cycles = 0;
  /** cycles by cause */
  readonly byCause: Record<string, number> = {};
  /** counts by counter name */
  readonly counts: Counts = {};
  private readonly specs: Record<string, CounterSpec> = {};
  private readonly price: Record<string, number> = {};
  private readonly cause: Record<string, string> = {};

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
      const had = this.specs[name];
      if (had !== undefined) {
        if (sameCounter(had, spec)) continue;
        throw new Error(`internal error: counter '${name}' is declared twice, differently`);
      }
      let price = 0;
      if ('cost' in spec.pricing) {
        const p = this.priceOf(spec.pricing.cost);
        if (p === undefined) throw new Error(`the cost profile has no cost '${spec.pricing.cost}', which counter '${name}' needs`);
        price = p;
        this.cause[name] = spec.pricing.cause;
      }
      this.specs[name] = spec;
      this.price[name] = price;
      this.counts[name] = spec.shape === 'tally' ? {} : 0;
    }
  }

  /** Whether a counter is declared. */
  has(name: string): boolean {
    return this.specs[name] !== undefined;
  }

  /** Count `n` events of a plain counter. */
  count(name: string, n = 1): void {
    const c = this.counts[name];
    if (typeof c !== 'number') throw new Error(`internal error: '${name}' is not a declared plain counter`);
    this.counts[name] = c + n;
    this.charge(name, n);
  }

  /** Count `n` events of a tally counter under `detail`. */
  tally(name: string, detail: string | number, n = 1): void {
    const b = this.counts[name];
    if (!isBreakdown(b)) throw new Error(`internal error: '${name}' is not a declared tally counter`);
    b[detail] = (b[detail] ?? 0) + n;
    this.charge(name, n);
  }

  /** Add `n` events' price to the clock and the breakdown. */
  private charge(name: string, n: number): void {
    const p = this.price[name];
    if (p === 0 || n === 0) return;
    const c = p * n;
    this.cycles += c;
    const cause = this.cause[name];
    this.byCause[cause] = (this.byCause[cause] ?? 0) + c;
  }

  /** Cycles per event of a counter (0 if free). */
  priceOfCounter(name: string): number {
    return this.price[name] ?? 0;
  }

  /** A copy of the state now. */
  snapshot(): LedgerSnapshot {
    return { counts: structuredClone(this.counts), cycles: this.cycles, byCause: { ...this.byCause } };
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
