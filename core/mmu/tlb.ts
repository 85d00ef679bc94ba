/**
 * The TLB: a set-associative cache of virtual-page translations with a configurable number
 * of entries and ways (both powers of two; ways = 1 is direct-mapped, ways = entries fully
 * associative), replacing round-robin within a set. Entries hold the physical page base and
 * the effective permissions of the walk that filled them.
 * @category MMU
 */

/** Permission bits cached per entry. */
export const TlbPerm = { writable: 1, user: 2, dirty: 4 } as const;

/** An entry allows a store without a walk when it is writable and already dirty. */
export const WRITABLE_DIRTY = TlbPerm.writable | TlbPerm.dirty;

/**
 * The slot of a cached translation of page `vpn` that allows the access without a walk, or
 * -1 (not cached, or cached without the permission: then the MMU walks again). The one hit
 * rule, shared by the MMU and the interpreter's inline load/store path.
 */
export const hitSlot = (tag: Int32Array, perm: Uint8Array, setMask: number, ways: number, vpn: number, user: boolean, write: boolean): number => {
  const first = (vpn & setMask) * ways;
  for (let k = first; k < first + ways; k++)
    if (tag[k] === vpn) {
      const p = perm[k];
      return (!user || (p & TlbPerm.user) !== 0) && (!write || (p & WRITABLE_DIRTY) === WRITABLE_DIRTY) ? k : -1;
    }
  return -1;
};

const isPow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** A set-associative TLB. */
export class Tlb {
  /** number of entries */
  readonly size: number;
  /** entries per set */
  readonly ways: number;
  /** number of sets - 1 (the set of page v is v & setMask) */
  readonly setMask: number;
  /** virtual page number held by each entry (slot = set * ways + way), -1 when empty */
  readonly tag: Int32Array;
  /** physical page base address per entry */
  readonly base: Int32Array;
  /** TlbPerm bits per entry */
  readonly perm: Uint8Array;
  /** next way to replace, per set */
  private readonly victim: Uint8Array;

  constructor(size: number, ways = Math.min(4, size)) {
    if (!isPow2(size) || size > 65536) throw new RangeError(`TLB size must be a power of two between 1 and 65536, got ${size}`);
    if (!isPow2(ways) || ways > size || ways > 64) throw new RangeError(`TLB ways must be a power of two from 1 to min(64, size ${size}), got ${ways}`);
    this.size = size;
    this.ways = ways;
    this.setMask = size / ways - 1;
    this.tag = new Int32Array(size).fill(-1);
    this.base = new Int32Array(size);
    this.perm = new Uint8Array(size);
    this.victim = new Uint8Array(size / ways);
  }

  /** Slot holding page `vpn`, or -1. */
  find(vpn: number): number {
    const first = (vpn & this.setMask) * this.ways;
    for (let k = first; k < first + this.ways; k++) if (this.tag[k] === vpn) return k;
    return -1;
  }

  /** Drop every entry. */
  flush(): void {
    this.tag.fill(-1);
  }

  /** Drop the entry for the page holding `va`, if cached. */
  invalidate(va: number): void {
    const k = this.find(va >>> 12);
    if (k >= 0) this.tag[k] = -1;
  }

  /** Cache a translation (replacing the same page's entry, else a free way, else round-robin); returns the slot. */
  fill(va: number, pageBase: number, perm: number): number {
    const vpn = va >>> 12;
    const set = vpn & this.setMask;
    const first = set * this.ways;
    let slot = this.find(vpn);
    if (slot < 0)
      for (let k = first; k < first + this.ways; k++)
        if (this.tag[k] === -1) {
          slot = k;
          break;
        }
    if (slot < 0) {
      slot = first + this.victim[set];
      this.victim[set] = (this.victim[set] + 1) & (this.ways - 1);
    }
    this.tag[slot] = vpn;
    this.base[slot] = pageBase;
    this.perm[slot] = perm;
    return slot;
  }
}
