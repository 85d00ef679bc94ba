/**
 * Counters of the binary-translation VMM, with their pricing.
 * @category Binary translation
 */
import { count, free, priced, tally, type CounterTable } from '../../core/cost/counters';
import { detailNames } from '../../core/cost/detail-names';

/** What the translator, the translation cache and translated code count. */
export const BT_COUNTERS = {
  'translation.units': count('translation units translated', free('priced per guest instruction translated')),
  'translation.guestInstructions': count('guest instructions translated', priced('translationPerInstruction', 'translation')),
  'translation.guestBytes': count('bytes of guest code translated', free('a size, for the expansion ratio')),
  'translation.translatedBytes': count('bytes of translated code placed in the cache', free('a size, for the expansion ratio')),
  'translation.cacheLookups': count('lookups of a guest pc in the translation cache', priced('translationCacheLookup', 'translation-cache lookups')),
  'translation.cacheHits': count('lookups that found a unit', free('priced per lookup')),
  'translation.cacheMisses': count('lookups that found none (a translation follows)', free('priced per lookup and per instruction translated')),
  'translation.flushes': count('flushes of the whole translation cache (the retranslation that follows is priced per instruction)', priced('translationCacheFlush', 'translation-cache flushes')),
  'translation.invalidations': count('units dropped because the guest wrote their code', priced('translationInvalidation', 'translation invalidations')),
  'translation.chainedExits': count('unit exits patched into direct jumps', free('a patch of two words inside the monitor\'s exit handling')),
  callouts: tally('callouts from translated code into the monitor, by kind', priced('callout', 'callouts')),
} as const satisfies CounterTable;

/** A translation counter's name without its prefix. */
export type TranslationCounter = keyof typeof BT_COUNTERS extends infer K ? (K extends `translation.${infer N}` ? N : never) : never;

/** The ledger's name of a translation counter (made once per counter). */
export const translationCounter = detailNames((what: TranslationCounter) => `translation.${what}`);
