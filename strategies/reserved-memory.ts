/**
 * The reserved-memory invariant: the machine memory a VMM keeps for itself beyond guest RAM
 * (shadow and nested tables, the translation cache, the hypervisor's pages ...) is
 * unchanged by, and out of reach of, the guest. Each VMM declares its ranges through
 * `Vmm.reservedMemory` (what each holds, what the guest's CPU may be given of it, whether
 * the VMM changes it while the guest runs); the guard knows nothing else of the strategy.
 *
 * It checks, for every run of every strategy:
 * - every translation the MMU makes into reserved memory (a TLB fill, an access with paging
 *   off, a guest page table behind second-level tables) lands in a declared range and grants
 *   no more than the range allows (never user access);
 * - after the run, every byte of reserved memory outside the ranges the VMM changes is as it
 *   was when the VMM had started (so nothing else, a device's DMA included, wrote it);
 * - the declared ranges lie in reserved memory without overlapping.
 * A guest reaches what the VMM changes only through translations, so together these say the
 * reserved memory changed only by what the VMM itself wrote.
 * @category Strategies
 */
import type { Cpu } from '../core/cpu/cpu';
import type { PhysicalMemory } from '../core/mmu/memory';
import type { ReservedWatch } from '../core/mmu/mmu';

/** What a translation may give the guest's CPU of a reserved range (at supervisor privilege; user mode never). */
export type GuestAccess = 'none' | 'read' | 'write';

/** One range of a VMM's reserved memory, as the VMM declares it. */
export interface ReservedRange {
  /** what it holds, for messages ("translation cache") */
  readonly name: string;
  /** first machine-physical byte */
  readonly start: number;
  readonly bytes: number;
  /** what a translation may give the guest of it: none, supervisor read (fetch), supervisor read/write */
  readonly guest: GuestAccess;
  /** whether the VMM (or the MMU walking tables the VMM installed) changes it while the guest runs; if not, it must stay as it was at the start */
  readonly changes: boolean;
}

/** At most this many distinct violations are kept per run. */
const MAX_VIOLATIONS = 16;

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Zeros to compare memory with, grown as needed. */
let zeros = Buffer.alloc(0);

/** Whether `bytes` bytes of `u8` from `start` are all zero (compared natively). */
const isZero = (u8: Uint8Array, start: number, bytes: number): boolean => {
  if (zeros.length < bytes) zeros = Buffer.alloc(bytes);
  return Buffer.from(u8.buffer, u8.byteOffset + start, bytes).equals(zeros.subarray(0, bytes));
};

/** The reserved-memory guard of one virtual machine: installed after the VMM started, read after the run. */
export class ReservedMemoryGuard implements ReservedWatch {
  readonly floor: number;
  private readonly ranges: readonly ReservedRange[];
  /** copies of what must not change: [start, bytes] */
  private readonly frozen: { readonly start: number; readonly bytes: number; readonly copy: Uint8Array | null; readonly what: string }[] = [];
  private readonly found = new Set<string>();

  constructor(
    private readonly memory: PhysicalMemory,
    guestMemoryBytes: number,
    declared: readonly ReservedRange[],
  ) {
    this.floor = guestMemoryBytes;
    this.ranges = [...declared].sort((a, b) => a.start - b.start);
    let at = guestMemoryBytes;
    const freeze = (start: number, end: number, what: string): void => {
      // zeroed memory (most of it: what the VMM has not touched yet) is remembered as such, not copied
      if (end > start) this.frozen.push({ start, bytes: end - start, copy: isZero(memory.u8, start, end - start) ? null : memory.u8.slice(start, end), what });
    };
    for (const r of this.ranges) {
      if (r.start < at || r.start + r.bytes > memory.size || r.bytes <= 0)
        this.note(`the VMM declares '${r.name}' at ${hex(r.start)} (+${r.bytes}), not inside its reserved memory [${hex(guestMemoryBytes)}, ${hex(memory.size)}) apart from the other ranges`);
      freeze(at, r.start, 'memory the VMM declares no use of');
      if (!r.changes) freeze(r.start, r.start + r.bytes, `'${r.name}'`);
      at = Math.max(at, r.start + r.bytes);
    }
    freeze(at, memory.size, 'memory the VMM declares no use of');
  }

  /** Watch every CPU's translations from now on. */
  watch(cpus: readonly Cpu[]): void {
    if (this.floor >= this.memory.size) return;
    for (const c of cpus) c.mmu.watch = this;
  }

  /** A translation reached reserved memory: allowed only into a declared range, within what it grants. */
  reached(pa: number, va: number, writable: boolean, user: boolean): void {
    const r = this.rangeOf(pa);
    const granted = `${user ? 'user' : 'supervisor'} ${writable ? 'read/write' : 'read'}`;
    if (r === undefined) this.note(`linear ${hex(va)} is mapped (${granted}) to ${hex(pa)}, reserved memory the VMM declares no use of`);
    else if (user || r.guest === 'none' || (writable && r.guest !== 'write'))
      this.note(`linear ${hex(va)} is mapped (${granted}) to ${hex(pa)} in the VMM's '${r.name}', which allows the guest ${r.guest === 'none' ? 'no access' : `supervisor ${r.guest} access`}`);
  }

  /** The violations found during the run and in memory as it stands now (empty if none). */
  violations(): string[] {
    const now = this.memory.u8;
    for (const f of this.frozen) {
      // compared natively first: the ranges are megabytes and most runs change nothing
      if (f.copy === null ? isZero(now, f.start, f.bytes) : Buffer.from(now.buffer, now.byteOffset + f.start, f.bytes).equals(f.copy)) continue;
      const was = (k: number): number => (f.copy === null ? 0 : f.copy[k]);
      let i = 0;
      while (now[f.start + i] === was(i)) i++;
      this.note(`${f.what} changed at ${hex(f.start + i)} (from ${hex(was(i))} to ${hex(now[f.start + i])})`);
    }
    return [...this.found].map((v) => `reserved memory: ${v}`);
  }

  private rangeOf(pa: number): ReservedRange | undefined {
    for (const r of this.ranges) if (pa >= r.start && pa < r.start + r.bytes) return r;
    return undefined;
  }

  private note(v: string): void {
    if (this.found.size < MAX_VIOLATIONS) this.found.add(v);
  }
}
