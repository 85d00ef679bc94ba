/**
 * Tally details made once per key. A detail built by a template on every event (a trap's
 * vector, a mnemonic, a port) is a fresh string that the breakdown (and a counter looked up
 * by a built name) must flatten and hash each time; the same string object is found at once.
 * Counting is on every VMM event's path.
 * @category Cost
 */

/** A memoised `make`, which must be a pure function of the key. */
export const detailNames = <K>(make: (key: K) => string): ((key: K) => string) => {
  const made = new Map<K, string>();
  return (key) => {
    let s = made.get(key);
    if (s === undefined) {
      s = make(key);
      made.set(key, s);
    }
    return s;
  };
};

/** `exception N`: a trap or exit detail by vector. */
export const exceptionDetail = detailNames((vector: number) => `exception ${vector}`);

/** `int 0xNN`: a software interrupt by vector. */
export const intDetail = detailNames((vector: number) => `int 0x${(vector >>> 0).toString(16)}`);

/** `crN`: a control register by number. */
export const crDetail = detailNames((cr: number) => `cr${cr}`);
