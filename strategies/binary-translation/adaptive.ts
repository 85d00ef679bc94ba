/**
 * Adaptive binary translation (Adams & Agesen, ASPLOS 2006, Sec. 3.2): a translated store
 * that keeps taking trace faults (it writes a guest page table the shadow pager
 * write-protects) is retranslated so that the store becomes a callout which performs the
 * write with validation, and every old translation of it is patched to jump to the new one
 * (each copy when it next traces). A trace costs a page fault into the monitor plus its
 * classification; the callout costs neither.
 *
 * Adaptation goes both ways: a callout store that keeps writing ordinary memory (a shared
 * routine such as `memzero` that once cleared a page table) is retranslated back to IDENT,
 * so that the patches into its callout unit are undone.
 * @category Binary translation
 */
import type { TranslationCache, Unit } from './translation-cache';

/** Trace faults at one guest store after which it is retranslated as a callout. */
export const TRACES_BEFORE_CALLOUT = 3;

/** Consecutive callout writes to ordinary memory after which a store is translated as IDENT again. */
export const PLAIN_WRITES_BEFORE_IDENT = 16;

/** What to do after a trace fault of an IDENT store. */
export type TraceVerdict = 'keep' | 'redirect';

/** Which stores are translated as callouts, and the counts that decide it. */
export class AdaptiveRetranslation {
  /** guest pcs of stores the translator emits as `pte-write` callouts */
  readonly calloutStores = new Set<number>();
  private readonly traces = new Map<number, number>();
  private readonly plainWrites = new Map<number, number>();
  private readonly adapted = new Map<number, Unit>();

  constructor(
    /** the `adaptive` option */
    readonly enabled: boolean,
    readonly tracesBeforeCallout = TRACES_BEFORE_CALLOUT,
    readonly plainWritesBeforeIdent = PLAIN_WRITES_BEFORE_IDENT,
  ) {}

  /** The IDENT store of guest pc `guestPc` took a trace fault: redirect it to a callout translation now? */
  onTrace(guestPc: number): TraceVerdict {
    if (!this.enabled) return 'keep';
    if (this.calloutStores.has(guestPc)) return 'redirect'; // another copy of an adapted store
    const n = (this.traces.get(guestPc) ?? 0) + 1;
    if (n < this.tracesBeforeCallout) {
      this.traces.set(guestPc, n);
      return 'keep';
    }
    this.traces.delete(guestPc);
    this.calloutStores.add(guestPc);
    return 'redirect';
  }

  /**
   * Patch the copy of the store at cache address `site` (8 bytes, the size of a `jmp`) into a
   * jump to the callout translation of `guestPc`, translating it (via `translate`) unless a
   * live one exists. Nothing is patched if translating flushed the cache (the old copy is gone).
   */
  redirect(cache: TranslationCache, translate: (pc: number) => Unit | null, site: number, guestPc: number): void {
    const generation = cache.generation;
    let unit = this.adapted.get(guestPc);
    if (!unit?.live) {
      const fresh = translate(guestPc);
      if (fresh === null) return;
      this.adapted.set(guestPc, fresh);
      unit = fresh;
    }
    if (cache.generation === generation) cache.patchJump(site, unit);
  }

  /**
   * The callout store of `guestPc` wrote a guest page table (`traced`) or ordinary memory.
   * After enough ordinary writes in a row it goes back to IDENT: the callout translation is
   * retired from the cache (restoring the copies patched to jump to it), and so is `current`,
   * the unit whose callout this was (it may be another unit that translated the store as a
   * callout). Returns true then.
   */
  onCalloutWrite(cache: TranslationCache, guestPc: number, traced: boolean, current: Unit): boolean {
    if (traced) {
      this.plainWrites.delete(guestPc);
      return false;
    }
    const n = (this.plainWrites.get(guestPc) ?? 0) + 1;
    if (n < this.plainWritesBeforeIdent) {
      this.plainWrites.set(guestPc, n);
      return false;
    }
    this.plainWrites.delete(guestPc);
    this.calloutStores.delete(guestPc);
    const unit = this.adapted.get(guestPc);
    this.adapted.delete(guestPc);
    if (unit?.live) cache.retire(unit);
    if (current.live) cache.retire(current);
    return true;
  }
}
