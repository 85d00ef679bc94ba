/**
 * Direct paging with validation (Xen, Barham et al. SOSP 2003, section 3.3.2): the guest's
 * page tables are real page tables, the ones the MMU walks, and the hypervisor only checks
 * what goes into them. Every frame of guest RAM has a type: `data`, `l1` (a page table) or
 * `l2` (a page directory). A frame becomes a page directory when the guest first loads it
 * with `new_baseptr` (it is validated then, entry by entry, and so are the page tables it
 * references, which become `l1`), and it keeps that type while the guest keeps using it
 * (Xen's pinning, inferred from use: switching back to a known directory costs nothing).
 *
 * Invariants the MMU can rely on:
 * - every table reachable from the current base pointer is typed and validated;
 * - a typed table maps only frames below guest RAM, and no directory maps the hypervisor slot
 *   (the hypervisor installs its own entry there);
 * - no mapping in a typed table lets the guest write a page-table page: the guest's explicit
 *   updates that would are refused; mappings that existed before the frame became a page
 *   table (the kernel's identity and direct maps cover all of its memory) are write-protected
 *   by the hypervisor, as Linux's Xen port does itself before it pins a table;
 * - `mmu_update` validates each entry according to the type of the frame it writes.
 *
 * When the guest writes to a write-protected page-table page that is no longer in use (it
 * freed an address space and reuses the frame as data), the write faults into the
 * hypervisor, which releases the frame back to `data` (and any unused directory that still
 * referenced it) and lets the write retry. A write to a table that is in use is the guest's
 * own page fault.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';
import { BlockStatus, SECTOR_SIZE } from '../../core/devices/block';

import { CR0_PG } from '../../core/isa/table';
import { FRAME_MASK, PAGE_SIZE, Pte } from '../../core/mmu/pte';
import { Errno } from './guest-abi';
import { HYPERVISOR_PDE, type HypervisorMemory } from './hypervisor-memory';

/** What the hypervisor knows a guest frame to be. */
export type FrameType = 'data' | 'l1' | 'l2';

/** A refused request: the error code returned to the guest and why. */
export interface Refusal {
  readonly errno: Errno;
  readonly why: string;
}

/** What a guest write fault on a present page turned out to be. */
export type WriteFaultVerdict =
  /** the page-table page was no longer in use: released as data, the write may retry */
  | { readonly kind: 'released'; readonly frame: number }
  /** the guest wrote a page table that is in use: its own (protection) page fault */
  | { readonly kind: 'in-use'; readonly frame: number }
  /** not a hypervisor write protection: an ordinary guest page fault */
  | { readonly kind: 'not-protected' };

const DATA = 0;
const L1 = 1;
const L2 = 2;
const TYPE_NAMES: readonly FrameType[] = ['data', 'l1', 'l2'];
const ENTRIES = 1024;

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const refuse = (errno: Errno, why: string): Refusal => ({ errno, why });
const frameOf = (entry: number): number => (entry & FRAME_MASK) >>> 0;
const present = (entry: number): boolean => (entry & Pte.present) !== 0;
const writable = (entry: number): boolean => (entry & Pte.writable) !== 0;

/** The page-table validation and tracking of one paravirtual guest. */
export class DirectPager {
  /** per guest frame (address >> 12): DATA, L1 or L2 */
  private readonly type: Uint8Array;
  /** per guest frame typed L1: present entries of typed directories that reference it */
  private readonly refs: Int32Array;
  /**
   * frame number -> addresses of the entries of typed page tables that map it writable (as
   * the guest wrote them). While the frame is a page table those entries are kept read-only.
   */
  private readonly writers = new Map<number, Set<number>>();
  /** the typed page directories (physical addresses) */
  private readonly directories = new Set<number>();
  /** page-table entries checked while typing tables (not priced: see the strategy's notes) */
  validatedEntries = 0;

  constructor(
    /** the vCPU whose request is being served (see use) */
    private m: Cpu,
    private readonly guestMemoryBytes: number,
    private readonly hvm: HypervisorMemory,
    /** every vCPU of the guest: a frame any of them has loaded is in use */
    private readonly cpus: readonly Cpu[] = [m],
  ) {
    this.type = new Uint8Array(guestMemoryBytes / PAGE_SIZE);
    this.refs = new Int32Array(guestMemoryBytes / PAGE_SIZE);
  }

  // ---- queries -------------------------------------------------------------------------

  /** The type of the guest frame holding physical address `pa`. */
  frameType(pa: number): FrameType {
    return TYPE_NAMES[this.type[pa >>> 12]];
  }

  /** Serve requests of vCPU `m` from now on (the hypervisor's entry from that vCPU). */
  use(m: Cpu): void {
    this.m = m;
  }

  /** The page directory the MMU walks now (the boot directory until the first `new_baseptr`). */
  get base(): number {
    return this.m.mmu.root;
  }

  /** Whether [pa, pa + bytes) is guest RAM holding no page-table page (a safe DMA target). */
  canDma(pa: number, bytes: number): Refusal | null {
    const start = pa >>> 0;
    if (start + bytes > this.guestMemoryBytes) return refuse(Errno.EFAULT, `DMA buffer ${hex(start)} (+${bytes}) is not guest RAM`);
    for (let f = start >>> 12; f <= (start + bytes - 1) >>> 12; f++)
      if (this.type[f] !== DATA) return refuse(Errno.EPERM, `DMA buffer ${hex(start)} overlaps page-table page ${hex(f << 12)}`);
    return null;
  }

  /**
   * Why frame `frame` cannot take a page-table type now: the block device's outstanding
   * request will DMA into it, so its contents are not what validation would read (Xen keeps
   * a frame's type pinned while I/O to it is outstanding); null if no I/O is.
   */
  private dmaRefusal(frame: number): Refusal | null {
    const d = this.m.platform.disk;
    if ((d.status & BlockStatus.busy) === 0) return null;
    const first = (d.address >>> 0) >>> 12;
    const last = ((d.address >>> 0) + SECTOR_SIZE - 1) >>> 12;
    const f = frame >>> 12;
    return f >= first && f <= last ? refuse(Errno.EBUSY, `frame ${hex(frame)} has a block transfer outstanding; it cannot become a page table until it completes`) : null;
  }

  /**
   * The isolation invariants, checked against memory as it is (after a run, by tests and the
   * fuzzer): every typed directory keeps the hypervisor's slot; its entries lead only to
   * typed page tables in guest RAM, counted in their reference counts; no entry of a typed
   * table maps a frame beyond guest RAM (the hypervisor's memory) or maps a page-table page
   * writable; the MMU walks a typed directory or the boot view. Each violation is a message.
   */
  isolationViolations(): string[] {
    const out: string[] = [];
    const mem = this.m.memory;
    const counted = new Int32Array(this.refs.length);
    for (const pd of this.directories) {
      if (this.type[pd >>> 12] !== L2) out.push(`directory ${hex(pd)} is listed but typed ${this.frameType(pd)}`);
      // the MMU may have set the accessed bit since
      if ((mem.read32(pd + HYPERVISOR_PDE * 4) & (FRAME_MASK | Pte.present | Pte.writable | Pte.user)) >>> 0 !== (this.hvm.slotTable | Pte.present | Pte.writable) >>> 0)
        out.push(`directory ${hex(pd)} lost the hypervisor's slot (entry ${HYPERVISOR_PDE} = ${hex(mem.read32(pd + HYPERVISOR_PDE * 4))})`);
      for (let i = 0; i < ENTRIES; i++) {
        const pde = mem.read32(pd + i * 4);
        if (i === HYPERVISOR_PDE || !present(pde)) continue;
        const t = frameOf(pde);
        if (t >= this.guestMemoryBytes || this.type[t >>> 12] !== L1) {
          out.push(`directory ${hex(pd)} entry ${i} leads to ${hex(t)}, not a typed page table in guest RAM`);
          continue;
        }
        counted[t >>> 12]++;
      }
    }
    for (let f = 0; f < this.type.length; f++) {
      if (this.type[f] !== L1) continue;
      if (counted[f] !== this.refs[f]) out.push(`page table ${hex(f << 12)} has ${this.refs[f]} references recorded, ${counted[f]} in the directories`);
      for (let i = 0; i < ENTRIES; i++) {
        const pte = mem.read32((f << 12) + i * 4);
        if (!present(pte)) continue;
        const target = frameOf(pte);
        if (target >= this.guestMemoryBytes) out.push(`page table ${hex(f << 12)} entry ${i} maps ${hex(target)}, beyond guest RAM`);
        else if (writable(pte) && this.type[target >>> 12] !== DATA) out.push(`page table ${hex(f << 12)} entry ${i} maps page-table page ${hex(target)} writable`);
      }
    }
    for (const c of this.cpus) {
      const base = (c.mmu.root & FRAME_MASK) >>> 0;
      if (base !== this.hvm.bootDirectory && !this.directories.has(base)) out.push(`the MMU of vCPU ${c.index} walks ${hex(base)}, which is not a typed directory`);
    }
    return out;
  }

  // ---- boot ---------------------------------------------------------------------------

  /**
   * Build the flat view the guest boots in (guest RAM 1:1, supervisor read/write, in the
   * hypervisor's own tables, plus the hypervisor slot) and turn paging on. The guest never
   * runs with paging off: the "paging off" of the ABI is this view.
   */
  installBootView(): void {
    const mem = this.m.memory;
    const h = this.hvm;
    mem.u8.fill(0, h.idt, h.bootTables);
    mem.write32(h.slotTable, h.idt | Pte.present); // the real IDT: supervisor, read-only
    mem.write32(h.slotTable + 4, h.hypercallPage | Pte.present); // the hypercall page: supervisor, read-only
    const tables = Math.ceil(this.guestMemoryBytes / (ENTRIES * PAGE_SIZE));
    mem.u8.fill(0, h.bootTables, h.bootTables + tables * PAGE_SIZE);
    for (let f = 0; f < this.guestMemoryBytes / PAGE_SIZE; f++) mem.write32(h.bootTables + f * 4, (f * PAGE_SIZE) | Pte.present | Pte.writable);
    for (let t = 0; t < tables; t++) mem.write32(h.bootDirectory + t * 4, (h.bootTables + t * PAGE_SIZE) | Pte.present | Pte.writable);
    mem.write32(h.bootDirectory + HYPERVISOR_PDE * 4, h.slotTable | Pte.present | Pte.writable);
    const m = this.m;
    m.cr[0] |= CR0_PG;
    m.cr[3] = h.bootDirectory;
    m.mmu.root = h.bootDirectory;
    m.mmu.paging = true;
    m.mmu.flush();
  }

  // ---- hypercall operations -------------------------------------------------------------

  /** `new_baseptr`: make `pd` a validated page directory (if it is not yet) and load it. */
  newBaseptr(pd: number): Refusal | null {
    const r = this.pin(pd >>> 0);
    if (r !== null) return r;
    // the hypervisor's own mov cr3: the hardware flushes the TLB as natively
    this.m.writeControlRegister(3, pd);
    return null;
  }

  /** One `mmu_update` entry: write `value` at physical `pteAddress`, validated by the frame's type. */
  update(pteAddress: number, value: number): Refusal | null {
    const a = pteAddress >>> 0;
    if ((a & 3) !== 0 || a >= this.guestMemoryBytes)
      return refuse(Errno.EINVAL, `entry address ${hex(a)} is not an aligned address in guest RAM`);
    if (present(value) && frameOf(value) >= this.guestMemoryBytes)
      return refuse(Errno.EINVAL, `entry value ${hex(value)} maps frame ${hex(frameOf(value))} beyond guest RAM (${hex(this.guestMemoryBytes)})`);
    switch (this.type[a >>> 12]) {
      case L1:
        return this.updateL1(a, value);
      case L2:
        return this.updateL2(a, value);
      default:
        // not (yet) a page table: an ordinary write, validated when the frame becomes one
        this.m.memory.write32(a, value);
        return null;
    }
  }

  /** A write fault (present page, write access) at linear `va` in the current address space. */
  writeFault(va: number): WriteFaultVerdict {
    const mem = this.m.memory;
    const pde = mem.read32(((this.base & FRAME_MASK) >>> 0) + (va >>> 22) * 4);
    if (!present(pde)) return { kind: 'not-protected' };
    const pteAddress = frameOf(pde) + ((va >>> 12) & 0x3ff) * 4;
    if (pteAddress >= this.guestMemoryBytes) return { kind: 'not-protected' };
    const pte = mem.read32(pteAddress);
    const frame = frameOf(pte);
    if (!present(pte) || frame >= this.guestMemoryBytes || this.type[frame >>> 12] === DATA) return { kind: 'not-protected' };
    if (!(this.writers.get(frame >>> 12)?.has(pteAddress) ?? false)) return { kind: 'not-protected' };
    if (this.inUse(frame)) return { kind: 'in-use', frame };
    this.release(frame);
    return { kind: 'released', frame };
  }

  // ---- typing --------------------------------------------------------------------------

  /** Give `pd` the directory type, validating it and the tables it references; null if done. */
  private pin(pd: number): Refusal | null {
    const f = pd >>> 12;
    if (this.type[f] === L2) return null;
    if (this.type[f] === L1) return refuse(Errno.EINVAL, `frame ${hex(pd)} is a page table; it cannot also be a page directory`);
    const busy = this.dmaRefusal(pd);
    if (busy !== null) return busy;
    const mem = this.m.memory;
    const fresh: number[] = [];
    for (let i = 0; i < ENTRIES; i++) {
      const pde = mem.read32(pd + i * 4);
      this.validatedEntries++;
      if (!present(pde)) continue;
      const why = this.checkDirectoryEntry(pd, i, pde);
      if (why !== null) return why;
      const t = frameOf(pde);
      if (this.type[t >>> 12] === DATA && !fresh.includes(t)) {
        const bad = this.checkTable(t);
        if (bad !== null) return bad;
        fresh.push(t);
      }
    }
    // commit: type everything, then write-protect the new page-table pages everywhere
    this.type[f] = L2;
    this.directories.add(pd);
    for (const t of fresh) this.typeTable(t);
    for (let i = 0; i < ENTRIES; i++) {
      const pde = mem.read32(pd + i * 4);
      if (i !== HYPERVISOR_PDE && present(pde)) this.refs[frameOf(pde) >>> 12]++;
    }
    for (const frame of [pd, ...fresh]) this.protect(frame);
    mem.write32(pd + HYPERVISOR_PDE * 4, this.hvm.slotTable | Pte.present | Pte.writable);
    return null;
  }

  /** Why directory entry `i` of `pd` cannot be accepted, or null. */
  private checkDirectoryEntry(pd: number, i: number, pde: number): Refusal | null {
    if (i === HYPERVISOR_PDE) return refuse(Errno.EPERM, `page directory ${hex(pd)} maps the hypervisor's range (entry ${i})`);
    const t = frameOf(pde);
    if (t >= this.guestMemoryBytes) return refuse(Errno.EINVAL, `page directory ${hex(pd)} entry ${i} points at ${hex(t)}, beyond guest RAM`);
    if (t === pd || this.type[t >>> 12] === L2)
      return refuse(Errno.EINVAL, `page directory ${hex(pd)} entry ${i} uses page directory ${hex(t)} as a page table`);
    return null;
  }

  /** Why the (untyped) frame `t` cannot become a page table, or null. */
  private checkTable(t: number): Refusal | null {
    const busy = this.dmaRefusal(t);
    if (busy !== null) return busy;
    const mem = this.m.memory;
    for (let i = 0; i < ENTRIES; i++) {
      const pte = mem.read32(t + i * 4);
      this.validatedEntries++;
      if (present(pte) && frameOf(pte) >= this.guestMemoryBytes)
        return refuse(Errno.EINVAL, `page table ${hex(t)} entry ${i} maps frame ${hex(frameOf(pte))} beyond guest RAM`);
    }
    return null;
  }

  /** Type a checked frame as a page table and record its writable mappings. */
  private typeTable(t: number): void {
    this.type[t >>> 12] = L1;
    const mem = this.m.memory;
    for (let i = 0; i < ENTRIES; i++) {
      const pte = mem.read32(t + i * 4);
      if (present(pte) && writable(pte)) this.addWriter(frameOf(pte), t + i * 4);
    }
    // its own entries may map frames that already are page tables
    for (let i = 0; i < ENTRIES; i++) {
      const pte = mem.read32(t + i * 4);
      if (present(pte) && writable(pte) && this.type[frameOf(pte) >>> 12] !== DATA) mem.write32(t + i * 4, pte & ~Pte.writable);
    }
  }

  private addWriter(frame: number, entryAddress: number): void {
    const k = frame >>> 12;
    let s = this.writers.get(k);
    if (s === undefined) this.writers.set(k, (s = new Set()));
    s.add(entryAddress);
  }

  private removeWriter(frame: number, entryAddress: number): boolean {
    return this.writers.get(frame >>> 12)?.delete(entryAddress) ?? false;
  }

  /** Clear the writable bit of every recorded writable mapping of `frame` (it became a page table). */
  private protect(frame: number): void {
    const mem = this.m.memory;
    for (const a of this.writers.get(frame >>> 12) ?? []) mem.write32(a, mem.read32(a) & ~Pte.writable);
  }

  /** Give back the writable bit to the recorded mappings of `frame` (it is data again). */
  private unprotect(frame: number): void {
    const mem = this.m.memory;
    for (const a of this.writers.get(frame >>> 12) ?? []) mem.write32(a, mem.read32(a) | Pte.writable);
  }

  // ---- updates of typed frames ----------------------------------------------------------

  private updateL1(a: number, value: number): Refusal | null {
    const target = frameOf(value);
    if (present(value) && writable(value) && this.type[target >>> 12] !== DATA)
      return refuse(Errno.EPERM, `entry ${hex(a)} = ${hex(value)} would make page-table page ${hex(target)} (${this.frameType(target)}) writable`);
    const mem = this.m.memory;
    const old = mem.read32(a);
    if (present(old)) this.removeWriter(frameOf(old), a);
    if (present(value) && writable(value)) this.addWriter(target, a);
    mem.write32(a, value);
    return null;
  }

  private updateL2(a: number, value: number): Refusal | null {
    const pd = (a & FRAME_MASK) >>> 0;
    const i = (a & 0xfff) >>> 2;
    const mem = this.m.memory;
    if (i === HYPERVISOR_PDE) return refuse(Errno.EPERM, `entry ${i} of page directory ${hex(pd)} is the hypervisor's`);
    if (present(value)) {
      const why = this.checkDirectoryEntry(pd, i, value);
      if (why !== null) return why;
      const t = frameOf(value);
      if (this.type[t >>> 12] === DATA) {
        const bad = this.checkTable(t);
        if (bad !== null) return bad;
        this.typeTable(t);
        this.protect(t);
        this.flushTlb();
      }
      this.refs[t >>> 12]++;
    }
    const old = mem.read32(a);
    mem.write32(a, value);
    if (present(old)) this.dropReference(frameOf(old));
    return null;
  }

  // ---- releasing ------------------------------------------------------------------------

  /** Whether the MMU may walk `frame` now: the current directory or one of its tables. */
  private inUse(frame: number): boolean {
    for (const c of this.cpus) {
      const base = (c.mmu.root & FRAME_MASK) >>> 0;
      if (frame === base) return true;
      if (this.type[frame >>> 12] === L1 && this.references(base, frame)) return true;
    }
    return false;
  }

  /** Whether directory `pd` has a present entry pointing at `table`. */
  private references(pd: number, table: number): boolean {
    if (pd >= this.guestMemoryBytes) return false; // the boot directory references no guest table
    const mem = this.m.memory;
    for (let i = 0; i < ENTRIES; i++) {
      const pde = mem.read32(pd + i * 4);
      if (i !== HYPERVISOR_PDE && present(pde) && frameOf(pde) === table) return true;
    }
    return false;
  }

  /** Return a page-table page that is not in use to `data`, with every directory still using it. */
  private release(frame: number): void {
    if (this.type[frame >>> 12] === L2) {
      this.untypeDirectory(frame);
      return;
    }
    for (const pd of [...this.directories]) if (this.references(pd, frame)) this.untypeDirectory(pd);
    if (this.type[frame >>> 12] === L1) this.untypeTable(frame); // no directory references it (cannot happen while refs are kept)
  }

  private untypeDirectory(pd: number): void {
    const mem = this.m.memory;
    this.directories.delete(pd);
    this.type[pd >>> 12] = DATA;
    mem.write32(pd + HYPERVISOR_PDE * 4, 0);
    this.unprotect(pd);
    for (let i = 0; i < ENTRIES; i++) {
      const pde = mem.read32(pd + i * 4);
      if (i !== HYPERVISOR_PDE && present(pde)) this.dropReference(frameOf(pde));
    }
  }

  private dropReference(table: number): void {
    const k = table >>> 12;
    if (this.type[k] !== L1) return;
    if (--this.refs[k] <= 0) this.untypeTable(table);
  }

  private untypeTable(t: number): void {
    const mem = this.m.memory;
    this.unprotect(t);
    this.type[t >>> 12] = DATA;
    this.refs[t >>> 12] = 0;
    for (let i = 0; i < ENTRIES; i++) {
      const a = t + i * 4;
      const pte = mem.read32(a);
      // the table is data again: its entries read as the guest wrote them
      if (present(pte) && this.removeWriter(frameOf(pte), a)) mem.write32(a, pte | Pte.writable);
    }
  }

  /** The hypervisor's own full TLB flush (after write-protecting mappings the TLB may hold). */
  private flushTlb(): void {
    this.m.mmu.flush();
    this.m.events.emit({ kind: 'tlb-flush', t: this.m.time, cause: 'explicit' });
  }
}
