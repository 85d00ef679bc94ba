/**
 * The TLB: a direct-mapped cache of virtual-page translations with a configurable number of
 * entries (a power of two). Entries hold the physical page base and the effective
 * permissions of the walk that filled them.
 * @category MMU
 */

/** Permission bits cached per entry. */
export const TlbPerm = { writable: 1, user: 2, dirty: 4 } as const;

/** A direct-mapped TLB. */
export class Tlb {
  /** number of entries */
  readonly size: number;
  /** virtual page number held by each entry, -1 when empty */
  readonly tag: Int32Array;
  /** physical page base address per entry */
  readonly base: Int32Array;
  /** TlbPerm bits per entry */
  readonly perm: Uint8Array;
  /** size - 1 */
  readonly mask: number;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 65536 || (size & (size - 1)) !== 0)
      throw new RangeError(`TLB size must be a power of two between 1 and 65536, got ${size}`);
    this.size = size;
    this.mask = size - 1;
    this.tag = new Int32Array(size).fill(-1);
    this.base = new Int32Array(size);
    this.perm = new Uint8Array(size);
  }

  /** Drop every entry. */
  flush(): void {
    this.tag.fill(-1);
  }

  /** Drop the entry for the page holding `va`, if cached. */
  invalidate(va: number): void {
    const vpn = va >>> 12;
    const i = vpn & this.mask;
    if (this.tag[i] === vpn) this.tag[i] = -1;
  }

  /** Cache a translation. */
  fill(va: number, pageBase: number, perm: number): void {
    const vpn = va >>> 12;
    const i = vpn & this.mask;
    this.tag[i] = vpn;
    this.base[i] = pageBase;
    this.perm[i] = perm;
  }
}
