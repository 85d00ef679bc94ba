/**
 * The MMU: translates linear addresses through the TLB and, on a miss, walks two-level page
 * tables (setting accessed/dirty bits), optionally followed by second-level (nested) tables
 * so that a guest walk costs (n+1)(m+1)-1 memory references.
 * @category MMU
 */
import { GuestFault } from '../isa/fault';
import { VmExitSignal } from '../vmx/exit-signal';
import { Vector } from '../isa/table';
import type { PhysicalMemory } from './memory';
import { Access, FRAME_MASK, PfError, Pte } from './pte';
import { hitSlot, Tlb, TlbPerm } from './tlb';

const ACCESS_NAME = ['read', 'write', 'fetch'] as const;

/** What {@link Mmu.lookup} returns for a page fault (physical addresses are never negative). */
export const NO_ADDRESS = -1;

/**
 * An observer of translations that reach machine memory at or above `floor` (a VMM's
 * reserved memory): told what each such translation grants, as the TLB will hold it. It
 * observes only; nothing it does may change the run (strategies/reserved-memory.ts).
 */
export interface ReservedWatch {
  /** first machine address watched */
  readonly floor: number;
  /** A translation of linear `va` reached machine address `pa`, granting writes and/or user access. */
  reached(pa: number, va: number, writable: boolean, user: boolean): void;
}

/** Memory-management unit state and counters. */
export class Mmu {
  /** paging enabled (cr0.PG) */
  paging = false;
  /** physical address of the page directory (cr3) */
  root = 0;
  /** host-physical root of the second-level tables, or -1 when nested paging is off */
  nestedRoot = -1;
  /** TLB lookups that hit */
  hits = 0;
  /** TLB lookups that missed (each followed by a walk) */
  misses = 0;
  /** memory references made by page walks */
  walkReferences = 0;
  /** TLB slot of the last translation (-1 with paging off): lets the interpreter keep its code page */
  lastSlot = -1;
  /** whether the last second-level walk found the page writable */
  lastNestedWritable = true;
  /** incremented on every flush or invalidation so cached translations can be checked */
  generation = 0;
  /** observer of translations into reserved machine memory, if any */
  watch: ReservedWatch | null = null;
  /** the page fault the last {@link Mmu.lookup} found (it returned NO_ADDRESS), until taken */
  fault: GuestFault | null = null;

  constructor(
    readonly memory: PhysicalMemory,
    /** the TLB in use (VPID-tagged translations are modelled as a second TLB for non-root mode) */
    public tlb: Tlb,
  ) {}

  /** Switch to another TLB (VM entry/exit with VPID). */
  useTlb(tlb: Tlb): void {
    this.tlb = tlb;
    this.generation++;
  }

  /** Whether addresses are translated at all. */
  get translating(): boolean {
    return this.paging || this.nestedRoot >= 0;
  }

  /** Drop every TLB entry. */
  flush(): void {
    this.tlb.flush();
    this.generation++;
  }

  /** Drop the TLB entry of one page. */
  invalidate(va: number): void {
    this.tlb.invalidate(va);
    this.generation++;
  }

  /**
   * Translate a linear address to a physical one, or throw a page fault (GuestFault) or a
   * nested-paging violation (VmExitSignal). `user` is true at CPL 3.
   */
  translate(va: number, access: Access, user: boolean): number {
    const pa = this.lookup(va, access, user);
    if (pa >= 0) return pa;
    throw this.takeFault();
  }

  /**
   * {@link Mmu.translate} with a page fault as a value: NO_ADDRESS, and the fault in `fault`
   * for the caller to take ({@link Mmu.takeFault}), since a throw costs microseconds of host
   * time. Other faults (a nested-paging violation, an address outside memory) are thrown.
   */
  lookup(va: number, access: Access, user: boolean): number {
    if (!this.paging && this.nestedRoot < 0) {
      this.lastSlot = -1;
      const pa = this.checkPhysical(va >>> 0, va);
      if (this.watch !== null && pa >= this.watch.floor) this.watch.reached(pa, va, true, user);
      return pa;
    }
    const tlb = this.tlb;
    const i = hitSlot(tlb.tag, tlb.perm, tlb.setMask, tlb.ways, va >>> 12, user, access === Access.write);
    if (i >= 0) {
      this.hits++;
      this.lastSlot = i;
      return (tlb.base[i] | (va & 0xfff)) >>> 0;
    }
    this.misses++;
    return this.walk(va, access, user);
  }

  /** The page fault {@link Mmu.lookup} found (it is cleared). */
  takeFault(): GuestFault {
    const f = this.fault!;
    this.fault = null;
    return f;
  }

  /** Leave a page fault for the caller of lookup. */
  private pageFault(f: GuestFault): number {
    this.fault = f;
    return NO_ADDRESS;
  }

  /** A full walk after a TLB miss (or a permission or dirty-bit update on a cached entry); NO_ADDRESS on a page fault. */
  private walk(va: number, access: Access, user: boolean): number {
    const write = access === Access.write;
    let perm = TlbPerm.writable | TlbPerm.user;
    let pageBase: number;
    if (this.paging) {
      const errBase = (write ? PfError.write : 0) | (user ? PfError.user : 0) | (access === Access.fetch ? PfError.fetch : 0);
      const pdeAddr = this.guestTableAddress((this.root & FRAME_MASK) + (va >>> 22) * 4, access);
      this.walkReferences++;
      const pde = this.memory.i32[pdeAddr >>> 2];
      if ((pde & Pte.present) === 0) return this.pageFault(new GuestFault(Vector.pageFault, errBase, va, 'page directory entry not present'));
      const pteAddr = this.guestTableAddress((pde & FRAME_MASK) + ((va >>> 12) & 0x3ff) * 4, access);
      this.walkReferences++;
      const pte = this.memory.i32[pteAddr >>> 2];
      if ((pte & Pte.present) === 0) return this.pageFault(new GuestFault(Vector.pageFault, errBase, va, 'page table entry not present'));
      const eff = pde & pte;
      if (user && (eff & Pte.user) === 0)
        return this.pageFault(new GuestFault(Vector.pageFault, errBase | PfError.present, va, 'supervisor page accessed from user mode'));
      if (write && (eff & Pte.writable) === 0)
        return this.pageFault(new GuestFault(Vector.pageFault, errBase | PfError.present, va, 'write to a read-only page'));
      if ((pde & Pte.accessed) === 0) this.memory.i32[pdeAddr >>> 2] = pde | Pte.accessed;
      const newPte = pte | Pte.accessed | (write ? Pte.dirty : 0);
      if (newPte !== pte) this.memory.i32[pteAddr >>> 2] = newPte;
      perm = ((eff & Pte.writable) !== 0 ? TlbPerm.writable : 0) | ((eff & Pte.user) !== 0 ? TlbPerm.user : 0);
      if ((newPte & Pte.dirty) !== 0) perm |= TlbPerm.dirty;
      pageBase = pte & FRAME_MASK;
    } else {
      pageBase = va & FRAME_MASK;
      perm |= TlbPerm.dirty;
    }
    if (this.nestedRoot >= 0) {
      pageBase = this.nestedTranslate(pageBase, access);
      if (!this.lastNestedWritable) perm &= ~TlbPerm.writable;
    } else this.checkPhysical(pageBase, va);
    if (this.watch !== null && pageBase >= this.watch.floor) this.watch.reached(pageBase, va, (perm & TlbPerm.writable) !== 0, (perm & TlbPerm.user) !== 0);
    this.lastSlot = this.tlb.fill(va, pageBase, perm);
    return (pageBase | (va & 0xfff)) >>> 0;
  }

  /** Host-physical address of a guest page-table entry at guest-physical `gpa`. */
  private guestTableAddress(gpa: number, access: Access): number {
    if (this.nestedRoot < 0) return this.checkPhysical(gpa >>> 0, gpa);
    // a guest page table behind the second-level tables: the walk reads it and sets its accessed and dirty bits
    const pa = this.checkPhysical((this.nestedTranslate(gpa & FRAME_MASK, access) | (gpa & 0xfff)) >>> 0, gpa);
    if (this.watch !== null && pa >= this.watch.floor) this.watch.reached(pa, gpa, true, false);
    return pa;
  }

  /** Walk the second-level tables for a guest-physical page (two references). */
  nestedTranslate(gpa: number, access: Access): number {
    const fail = (): never => {
      throw new VmExitSignal({ reason: 'ept-violation', pc: 0, guestPhysical: gpa >>> 0, access: ACCESS_NAME[access] });
    };
    const root = this.nestedRoot & FRAME_MASK;
    this.walkReferences++;
    const pde = this.memory.i32[this.checkPhysical(root + (gpa >>> 22) * 4, gpa) >>> 2];
    if ((pde & Pte.present) === 0) fail();
    this.walkReferences++;
    const pte = this.memory.i32[this.checkPhysical((pde & FRAME_MASK) + ((gpa >>> 12) & 0x3ff) * 4, gpa) >>> 2];
    if ((pte & Pte.present) === 0) fail();
    this.lastNestedWritable = (pde & pte & Pte.writable) !== 0;
    if (access === Access.write && !this.lastNestedWritable) fail();
    return this.checkPhysical(pte & FRAME_MASK, gpa) >>> 0;
  }

  /** Raise #GP for a physical address outside memory. */
  checkPhysical(pa: number, va: number): number {
    if (pa >>> 0 >= this.memory.size)
      throw new GuestFault(
        Vector.generalProtection,
        0,
        0,
        `address 0x${(va >>> 0).toString(16)} is outside physical memory (${this.memory.size} bytes)`,
      );
    return pa;
  }
}
