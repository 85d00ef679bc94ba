/**
 * The translator: guest kernel code to the same ISA, one translation unit at a time, after
 * Adams & Agesen (ASPLOS 2006). A unit is at most `maxInstructions` guest instructions
 * starting at one guest pc and ends after the first instruction whose `flow` (from the
 * instruction table) is not `next`. Each guest instruction becomes:
 *
 * - **IDENT**: innocuous instructions are copied unchanged;
 * - **absolute**: pc-relative `lea ra, target` becomes `li ra, <absolute guest address>`;
 * - **inline emulation** on the virtual CPU in the VMM data page: `cli` is a store of r0 to
 *   the virtual IF word, `rdcr`/`smsw`/`sidt` are loads of virtual registers, `lidt` and
 *   `wrcr` of cr2/cr4-cr6 are stores, `wrcr cr8` a store followed by a load from the doorbell
 *   page (which faults only while a virtual interrupt is pending), `rdcpl` is `li ra, 0`;
 * - a **callout** (`int 0xf0`) into the monitor for what needs it (port I/O, cr0/cr3 writes,
 *   invlpg, pushf/popf/sti, hlt, iret, int, vmcall, undecodable words);
 * - control flow: a direct jump becomes a **continuation** (an 8-byte exit slot, `int 0xf2;
 *   nop`, that the cache later patches into a direct `jmp` to the translated target:
 *   chaining); a conditional branch becomes a `jcc` over the fall-through slot to the taken
 *   slot; a direct call pushes the *guest* return address (borrowing r1 through the spill
 *   slot) and continues at its target; `ret`, `jmpr` and `callr` become a translation-cache
 *   **lookup** (`int 0xf1`), where indirect control flow pays.
 *
 * Translated code never changes the arithmetic flags where the guest instruction does not,
 * so every instruction boundary of a unit maps to a precise guest state: each emitted word
 * records the guest pc at which the guest would resume if execution stopped before it, and
 * which guest register (if any) then lives in the spill slot.
 *
 * The translator is a pure function of the guest code it reads; placing units, chaining and
 * invalidation belong to the translation cache.
 * @category Binary translation
 */
import { decode, encode, makeInstruction, type Instruction } from '../../core/isa/codec';
import { CONTROL_REGISTERS, ControlRegister, ISA, MNEMONICS, type Flow, type Mnemonic } from '../../core/isa/table';
import { DATA_VA, DataWord, Vec } from './layout';
import { PAGE_SIZE } from '../../core/mmu/pte';
import { privilegeOf, type IsaVariant } from '../../core/isa/variant';

/** Kinds of callout, i.e. what the monitor does for a callout site. */
export type CalloutKind =
  | 'in'
  | 'out'
  | 'wrcr'
  | 'invlpg'
  | 'pushf'
  | 'popf'
  | 'sti'
  | 'hlt'
  | 'iret'
  | 'int'
  | 'vmcall'
  | 'sysenter'
  | 'sysexit'
  /** an adaptively retranslated store that kept hitting a write-protected page table */
  | 'pte-write'
  /** a word that does not decode, or names no control register: #UD when reached */
  | 'invalid'
  /** a privileged instruction in guest ring 1 or 2: #GP when reached, as natively */
  | 'privileged';

/** Indirect control flow resolved by a translation-cache lookup. */
export type LookupFlow = 'return' | 'indirect-jump' | 'indirect-call';

/** What the monitor finds at a `int 0xf0/0xf1/0xf2` in the cache. */
export type Site =
  | {
      readonly kind: 'callout';
      readonly callout: CalloutKind;
      /** the guest instruction (null for an undecodable word) */
      readonly instruction: Instruction | null;
      readonly guestPc: number;
      readonly guestNext: number;
    }
  | { readonly kind: 'lookup'; readonly flow: LookupFlow; readonly ra: number; readonly guestPc: number; readonly guestNext: number }
  /** a continuation to guest pc `target` */
  | { readonly kind: 'exit'; readonly target: number };

/** Recovery information of one emitted word. */
export interface WordInfo {
  /** guest pc to resume at if execution stops before this word's instruction */
  readonly guestPc: number;
  /** guest register held in the spill slot at that point (0: none) */
  readonly spill: number;
}

/** A translation unit, not yet placed in the cache (offsets are bytes from its start). */
export interface TranslatedUnit {
  readonly guestPc: number;
  /** the translated code, 32-bit words */
  readonly words: readonly number[];
  /** per word: where the guest resumes */
  readonly info: readonly WordInfo[];
  /** callouts, lookups and exits by byte offset */
  readonly sites: readonly { readonly offset: number; readonly site: Site }[];
  readonly guestInstructions: number;
  readonly guestBytes: number;
  /** guest frames (physical page bases) the unit's code was read from */
  readonly frames: readonly number[];
}

/** Where the translator reads guest code: the word at a guest linear address and its frame, or null if unmapped. */
export type CodeSource = (va: number) => { readonly word: number; readonly frame: number } | null;

/**
 * How control enters the translation engine, which decides what translated code may assume:
 * - `software-interrupt` (binary translation): the guest kernel only ever runs translated,
 *   entering the monitor by INT from the cache; a lowered task priority is noticed by the
 *   doorbell page (an inline store and load);
 * - `vm-exit` (hybrid): the guest runs under hardware assistance and the engine is entered by
 *   a VM exit, runs a cluster of translated code and resumes the guest in hardware at a
 *   continuation; there is no doorbell, so a cr8 write is a callout where the VMM can see
 *   a pending interrupt become deliverable.
 */
export type EntryMechanism = 'software-interrupt' | 'vm-exit';

/** Translator settings. */
export interface TranslateOptions {
  /** most guest instructions in a unit (the `unit` option) */
  readonly maxInstructions: number;
  /** guest pcs of stores to translate as `pte-write` callouts (adaptive retranslation) */
  readonly calloutStores?: ReadonlySet<number>;
  /** how the engine is entered (default `software-interrupt`) */
  readonly entry?: EntryMechanism;
  /** end the unit (with a continuation) after this many callouts (default: no limit) */
  readonly maxCallouts?: number;
  /** linear address of the vCPU's data page, its doorbell page next to it (default {@link DATA_VA}: vCPU 0's) */
  readonly dataVa?: number;
  /**
   * the guest ring (0-2) the unit is translated for (default 0): in rings 1 and 2 a
   * privileged instruction faults as natively and RDCPL reads the ring
   */
  readonly ring?: number;
  /** the ISA variant whose privileges apply in rings 1 and 2 (default `default`) */
  readonly variant?: IsaVariant;
}

/** Outcome of translating at a guest pc: a unit, or the address whose fetch failed first. */
export type Translation = { readonly ok: true; readonly unit: TranslatedUnit } | { readonly ok: false; readonly unmapped: number };

/** Size in bytes of an exit slot (room for the `jmp` that chains it). */
export const EXIT_SLOT_BYTES = 8;

/** The register translated code borrows (through the spill slot) to push a guest return address. */
export const SPILL_REGISTER = 1;

// ---- emission --------------------------------------------------------------------------

/** Collects the words, recovery info and sites of one unit. */
class Emitter {
  readonly words: number[] = [];
  readonly info: WordInfo[] = [];
  readonly sites: { offset: number; site: Site }[] = [];

  get offset(): number {
    return this.words.length * 4;
  }

  /** Emit one instruction; `guestPc` and `spill` describe the guest state before it. */
  op(m: Mnemonic, f: Partial<Omit<Instruction, 'mnemonic'>>, guestPc: number, spill = 0): void {
    for (const w of encode(makeInstruction(m, f))) {
      this.words.push(w);
      this.info.push({ guestPc, spill });
    }
  }

  /** Emit a raw guest word pair unchanged (IDENT). */
  copy(i: Instruction, guestPc: number): void {
    this.op(i.mnemonic, i, guestPc);
  }

  /** Emit `int vector` as a site. */
  site(vector: number, site: Site, guestPc: number): void {
    this.sites.push({ offset: this.offset, site });
    this.op('int', { imm12: vector }, guestPc);
  }

  /** Emit an unchained continuation to guest pc `target`. */
  exit(target: number): void {
    this.site(Vec.exit, { kind: 'exit', target }, target);
    this.op('nop', {}, target);
  }
}

/** Context of one guest instruction's translation. */
interface Here {
  readonly e: Emitter;
  readonly i: Instruction;
  readonly pc: number;
  readonly next: number;
  /** linear address of the translating vCPU's data page */
  readonly data: number;
}

/** Linear address of a data word of the translating vCPU. */
const word = (h: Here, offset: number): number => (h.data + offset) | 0;

/** Linear address of the translating vCPU's virtual control register `n`. */
const cr = (h: Here, n: number): number => word(h, DataWord.controlRegisters + 4 * n);

/** How one guest instruction is translated (a row of {@link RULES}). */
export type Rule =
  | { readonly kind: 'ident' }
  | { readonly kind: 'absolute' }
  | { readonly kind: 'inline'; readonly emit: (h: Here) => void }
  | { readonly kind: 'callout'; readonly callout: CalloutKind }
  | { readonly kind: 'jump' }
  | { readonly kind: 'branch' }
  | { readonly kind: 'call' }
  | { readonly kind: 'lookup'; readonly flow: LookupFlow }
  /** the rule depends on the operands (control register number) */
  | { readonly kind: 'select'; readonly choose: (i: Instruction) => Rule };

const callout = (c: CalloutKind): Rule => ({ kind: 'callout', callout: c });
const inline = (emit: (h: Here) => void): Rule => ({ kind: 'inline', emit });

const VALID_CR = CONTROL_REGISTERS;
/** Control registers whose write needs the monitor (paging state: the shadow pager). */
const CR_WRITE_CALLOUT = new Set<number>([ControlRegister.cr0, ControlRegister.cr3]);

/** Control-flow rules, by the table's `flow` column (trap, interrupt-return and halt rows are sensitive: see below). */
const FLOW_RULES: Partial<Record<Flow, Rule>> = {
  jump: { kind: 'jump' },
  branch: { kind: 'branch' },
  call: { kind: 'call' },
  'indirect-jump': { kind: 'lookup', flow: 'indirect-jump' },
  'indirect-call': { kind: 'lookup', flow: 'indirect-call' },
  return: { kind: 'lookup', flow: 'return' },
};

/**
 * Rules of every instruction that must not run as written at ring 1: the privileged and
 * sensitive rows of the table, and the traps. Checked complete at load time.
 */
const SENSITIVE_RULES: Partial<Record<Mnemonic, Rule>> = {
  cli: inline((h) => h.e.op('st', { ra: 0, rb: 0, imm: word(h, DataWord.interruptsEnabled) }, h.pc)),
  sti: callout('sti'),
  hlt: callout('hlt'),
  rdcr: {
    kind: 'select',
    choose: (i) => (VALID_CR.has(i.imm12) ? inline((h) => h.e.op('ld', { ra: h.i.ra, rb: 0, imm: cr(h, h.i.imm12) }, h.pc)) : callout('invalid')),
  },
  wrcr: {
    kind: 'select',
    choose: (i) =>
      !VALID_CR.has(i.imm12)
        ? callout('invalid')
        : CR_WRITE_CALLOUT.has(i.imm12)
          ? callout('wrcr')
          : i.imm12 === ControlRegister.cr8
            ? inline((h) => {
                // a lower task priority may unmask a pending interrupt: the doorbell load faults then
                h.e.op('st', { ra: h.i.ra, rb: 0, imm: cr(h, 8) }, h.pc);
                h.e.op('ld', { ra: 0, rb: 0, imm: (h.data + PAGE_SIZE) | 0 }, h.next);
              })
            : inline((h) => h.e.op('st', { ra: h.i.ra, rb: 0, imm: cr(h, h.i.imm12) }, h.pc)),
  },
  lidt: inline((h) => h.e.op('st', { ra: h.i.ra, rb: 0, imm: word(h, DataWord.idtBase) }, h.pc)),
  invlpg: callout('invlpg'),
  in: callout('in'),
  out: callout('out'),
  pushf: callout('pushf'),
  popf: callout('popf'),
  sidt: inline((h) => h.e.op('ld', { ra: h.i.ra, rb: 0, imm: word(h, DataWord.idtBase) }, h.pc)),
  smsw: inline((h) => h.e.op('ld', { ra: h.i.ra, rb: 0, imm: cr(h, 0) }, h.pc)),
  rdcpl: inline(({ e, i, pc }) => e.op('li', { ra: i.ra, imm: 0 }, pc)),
  iret: callout('iret'),
  int: callout('int'),
  vmcall: callout('vmcall'),
  sysenter: callout('sysenter'),
  sysexit: callout('sysexit'),
};

/** Rules that differ with the entry mechanism (the others are {@link RULES}). */
const ENTRY_RULES: Readonly<Record<EntryMechanism, Partial<Record<Mnemonic, Rule>>>> = {
  'software-interrupt': {},
  'vm-exit': {
    wrcr: { kind: 'select', choose: (i) => (i.imm12 === ControlRegister.cr8 ? callout('wrcr') : RULES.wrcr) },
  },
};

/**
 * The rule of a guest instruction in ring 1 or 2 where it differs from ring 0's: a
 * privileged instruction faults, RDCPL reads the ring; null where ring 0's rule applies (the
 * callouts of IOPL-checked and sensitive instructions check the virtual CPL themselves).
 */
const outerRingRule = (m: Mnemonic, ring: number, variant: IsaVariant): Rule | null =>
  privilegeOf(m, variant) === 'kernel' ? callout('privileged') : m === 'rdcpl' ? inline(({ e, i, pc }) => e.op('li', { ra: i.ra, imm: ring }, pc)) : null;

/** Whether an instruction cannot run as written in the translation cache (privileged, sensitive or a trap). */
export const needsRewrite = (m: Mnemonic): boolean =>
  ISA[m].privilege !== 'none' || ISA[m].sensitivity !== 'none' || ISA[m].flaw || ISA[m].flow === 'trap';

/** The rule of each mnemonic, derived from the table. */
export const RULES: Readonly<Record<Mnemonic, Rule>> = Object.fromEntries(
  MNEMONICS.map((m) => {
    const rule = needsRewrite(m) ? SENSITIVE_RULES[m] : (FLOW_RULES[ISA[m].flow] ?? (ISA[m].pcRelative ? { kind: 'absolute' } : { kind: 'ident' }));
    if (rule === undefined) throw new Error(`internal error: no translation rule for sensitive instruction '${m}'`);
    return [m, rule];
  }),
) as Record<Mnemonic, Rule>;

/** The kind of translation a guest instruction gets (for tests and reports). */
export const translationKind = (i: Instruction): Exclude<Rule['kind'], 'select'> => {
  let r = RULES[i.mnemonic];
  while (r.kind === 'select') r = r.choose(i);
  return r.kind;
};

/** Emitters of each rule kind (except `select`, resolved before). */
const EMIT: { [K in Exclude<Rule['kind'], 'select'>]: (h: Here, r: Extract<Rule, { kind: K }>) => void } = {
  ident: ({ e, i, pc }) => e.copy(i, pc),
  absolute: ({ e, i, pc, next }) => e.op('li', { ra: i.ra, imm: (next + i.imm) | 0 }, pc),
  inline: (h, r) => r.emit(h),
  callout: ({ e, i, pc, next }, r) => {
    e.site(Vec.callout, { kind: 'callout', callout: r.callout, instruction: i, guestPc: pc, guestNext: next }, pc);
    // HLT resumes after itself when the guest is woken: a continuation stands there
    if (r.callout === 'hlt') e.exit(next);
  },
  jump: ({ e, i, next }) => e.exit((next + i.imm) | 0),
  branch: ({ e, i, pc, next }) => {
    // jcc over the fall-through slot to the taken slot
    e.op(i.mnemonic, { imm: EXIT_SLOT_BYTES }, pc);
    e.exit(next);
    e.exit((next + i.imm) | 0);
  },
  call: (h) => {
    const { e, i, pc, next } = h;
    const target = (next + i.imm) | 0;
    const r = SPILL_REGISTER;
    const spill = word(h, DataWord.spill);
    e.op('st', { ra: r, rb: 0, imm: spill }, pc);
    e.op('li', { ra: r, imm: next }, pc);
    e.op('push', { ra: r }, pc, r);
    e.op('ld', { ra: r, rb: 0, imm: spill }, target, r);
    e.exit(target);
  },
  lookup: ({ e, i, pc, next }, r) => e.site(Vec.lookup, { kind: 'lookup', flow: r.flow, ra: i.ra, guestPc: pc, guestNext: next }, pc),
};

/**
 * Translate the unit starting at guest pc `pc` (4-byte aligned), reading guest code through
 * `fetch`. Fails only when the first instruction cannot be fetched; a later unmapped word
 * ends the unit before that instruction (the fault then happens when the guest gets there).
 */
export const translateUnit = (fetch: CodeSource, pc: number, o: TranslateOptions): Translation => {
  const e = new Emitter();
  const frames = new Set<number>();
  let at = pc | 0;
  let count = 0;
  let bytes = 0;
  let callouts = 0;
  const entryRules = ENTRY_RULES[o.entry ?? 'software-interrupt'];
  const data = o.dataVa ?? DATA_VA;
  const ring = o.ring ?? 0;
  for (;;) {
    if (count >= o.maxInstructions) {
      e.exit(at);
      break;
    }
    const first = fetch(at);
    if (first === null) {
      if (count === 0) return { ok: false, unmapped: at };
      e.exit(at);
      break;
    }
    const d0 = decode(first.word, 0);
    let i: Instruction | null = null;
    let size = 4;
    let frame2: number | null = null;
    if (d0.ok && d0.size === 8) {
      const ext = fetch((at + 4) | 0);
      if (ext === null) {
        if (count === 0) return { ok: false, unmapped: (at + 4) | 0 };
        e.exit(at);
        break;
      }
      frame2 = ext.frame;
      const d = decode(first.word, ext.word);
      i = d.ok ? d.instruction : null;
      size = 8;
    } else if (d0.ok) i = d0.instruction;
    frames.add(first.frame);
    if (frame2 !== null) frames.add(frame2);
    count++;
    bytes += size;
    const next = (at + size) | 0;
    if (i === null) {
      // natively #UD when executed: a callout that raises it, and the unit ends
      e.site(Vec.callout, { kind: 'callout', callout: 'invalid', instruction: null, guestPc: at, guestNext: next }, at);
      break;
    }
    let rule =
      o.calloutStores?.has(at) && (i.mnemonic === 'st' || i.mnemonic === 'stb')
        ? callout('pte-write')
        : ((ring !== 0 ? outerRingRule(i.mnemonic, ring, o.variant ?? 'default') : null) ?? entryRules[i.mnemonic] ?? RULES[i.mnemonic]);
    while (rule.kind === 'select') rule = rule.choose(i);
    (EMIT[rule.kind] as (h: Here, r: Rule) => void)({ e, i, pc: at, next, data }, rule);
    if (ISA[i.mnemonic].flow !== 'next' || (rule.kind === 'callout' && (rule.callout === 'invalid' || rule.callout === 'privileged'))) break;
    at = next;
    if (rule.kind === 'callout' && ++callouts >= (o.maxCallouts ?? Infinity)) {
      e.exit(at);
      break;
    }
  }
  return {
    ok: true,
    unit: { guestPc: pc | 0, words: e.words, info: e.info, sites: e.sites, guestInstructions: count, guestBytes: bytes, frames: [...frames] },
  };
};

/** The largest number of bytes one guest instruction translates into (the `call` sequence). */
export const MAX_BYTES_PER_INSTRUCTION = 8 + 8 + 4 + 8 + EXIT_SLOT_BYTES;

/** An upper bound of a unit's size in bytes for `maxInstructions` guest instructions. */
export const maxUnitBytes = (maxInstructions: number): number => maxInstructions * MAX_BYTES_PER_INSTRUCTION + EXIT_SLOT_BYTES;
