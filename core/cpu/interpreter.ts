/**
 * The reference interpreter: fetch, decode and dispatch one instruction at a time.
 *
 * Its source is generated at start-up (`new Function`), one function for every ISA variant
 * (the variants differ only in the privilege of system instructions, which the burst reads
 * from the CPU's table; a function per variant warmed up, deoptimized and compiled again on
 * its own), from the ISA table and the one written form of each instruction's semantics: an
 * innocuous instruction's case is its code row in core/cpu/instruction-code.ts (the rows the
 * JIT compiles too) instantiated with the interpreter's operands, a system instruction runs
 * its function in SYSTEM_SEMANTICS (core/cpu/semantics.ts). Every instruction's immediate
 * fetch comes first, once, from the table's column by opcode (a copy in each case made the
 * function 40 % larger, and V8's compile of it 1.5-2x longer). Each innocuous case then
 * carries what the table says of its row (innocuous rows are unprivileged on every variant:
 * the generator checks it): its reserved-bit mask as a literal, the write-back of r0 (only
 * rows that write a register), and the page-walk and code-page checks (only rows that touch
 * memory). The system instructions share one path that reads the reserved bits and the
 * privilege from the tables by opcode. Dispatch is a switch on literal opcodes, which V8
 * compiles to a jump table (a table of closures ran at a sixth of the speed).
 * @category CPU
 */
import { HAS_EXT_BY_OPCODE, MNEMONIC_BY_OPCODE, RESERVED_BITS_BY_OPCODE } from '../isa/codec';
import { GuestFault } from '../isa/fault';
import { Flag, ISA, MNEMONICS, Vector, type Mnemonic } from '../isa/table';
import { ISA_VARIANTS, privilegeOf } from '../isa/variant';
import { Access } from '../mmu/pte';
import { hitSlot } from '../mmu/tlb';
import type { Cpu } from './cpu';
import { INSTRUCTION_CODE, type InstructionCode, type Operands } from './instruction-code';
import { LAZY_ADD, LAZY_LOGIC, LAZY_SUB, lazyFlags, less, zeroWitness } from './lazy-flags';
import { PRIV_IOPL, PRIV_KERNEL } from './privilege';
import * as Sem from './semantics';

/**
 * A burst's instruction limit after a page walk advanced the clock: the burst ends at the
 * first instruction boundary at or past the checkpoint (clock = c0 + n x IC + walks x WC).
 * Every engine ends its bursts with this rule.
 */
export const limitAfterWalk = (checkpoint: number, c0: number, n: number, IC: number, walks: number, WC: number, limit: number): number => {
  const rest = checkpoint - (c0 + n * IC + walks * WC);
  const byWalk = rest <= 0 ? n : n + Math.ceil(rest / IC);
  return byWalk < limit ? byWalk : limit;
};

/** Most instructions one call of the interpreter runs before returning to the run loop. */
export const MAX_BURST = 1 << 16;

/** How a generated burst ended: it ran, a system instruction ended it, or it caught an exception (in CAUGHT). */
const RAN = 0;
const SYSTEM_RAN = 1;
const THREW = 2;

/** One burst of the interpreter (see {@link interpret}): RAN, SYSTEM_RAN or THREW. */
type Burst = (m: Cpu, most: number, c0: number, w0: number) => number;

/** The exception the last burst that ended THREW caught (faults and VM exits). */
const CAUGHT: { value: unknown } = { value: null };

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const word = (w: number): string => `0x${(w >>> 0).toString(16).padStart(8, '0')}`;

/**
 * The faults the generated code raises itself (the burst's own checks: fetch alignment,
 * reserved bits, unassigned opcodes, privilege), made here and returned rather than thrown:
 * the burst ends with the fault as a value, as it does with one it caught, without the host
 * cost of a throw (microseconds, most of a trap-and-emulate monitor's event).
 */
const FAULTS = {
  misaligned: (pc: number): GuestFault => new GuestFault(Vector.generalProtection, 0, 0, `misaligned instruction address ${hex(pc)}`),
  reserved: (w: number, pc: number): GuestFault => new GuestFault(Vector.invalidOpcode, 0, 0, `invalid instruction word ${word(w)} at ${hex(pc)}`),
  unassigned: (w: number, pc: number): GuestFault =>
    w !== 0 ? FAULTS.reserved(w, pc) : new GuestFault(Vector.invalidOpcode, 0, 0, `invalid instruction word ${word(w)} (opcode ${hex(w >>> 24)} unassigned) at ${hex(pc)}`),
  privileged: (op: number, cpl: number): GuestFault => new GuestFault(Vector.generalProtection, 0, 0, `privileged instruction '${MNEMONIC_BY_OPCODE[op]}' at CPL ${cpl}`),
};

/** Generated code that ends the burst with a fault made by {@link FAULTS}. */
const raise = (call: string): string => `{ fault = FAULTS.${call}; break burst; }`;

/**
 * The interpreter's operands for a code row: registers in the CPU's register file (`a` is
 * the ra field, decoded once per instruction), the immediate word in a local. The inline
 * store path needs no code-write check here (nothing is compiled from the words it runs).
 * `used` records whether the body writes a register (then r0 is cleared after it).
 */
const operands = (ext: boolean, used: { writes: boolean }): Operands => ({
  ra: 'regs[a]',
  rb: 'regs[(w >>> 16) & 15]',
  rc: 'regs[(w >>> 12) & 15]',
  get wa() {
    used.writes = true;
    return 'regs[a]';
  },
  reg: (n) => `regs[${n}]`,
  wreg: (n) => {
    used.writes = true;
    return `regs[${n}]`;
  },
  imm: ext ? 'imm' : '0',
  sp: 'regs[15]',
  get wsp() {
    used.writes = true;
    return 'regs[15]';
  },
  wrote: () => '',
  slow: '',
  raise: (fault) => `{ fault = ${fault}; break burst; }`,
});

/** A limit recomputed after page walks, for a burst that will have retired `n` instructions. */
const walkCheck = (n: string) =>
  `if (mmu.walkReferences !== walksSeen) { walksSeen = mmu.walkReferences; limit = limitAfterWalk(m.checkpoint, c0, ${n}, IC, walksSeen - w0, WC, limit) | 0; }`;

/** Generated code that ends the burst with the page fault Mmu.lookup left, if `pa` says it found one (no throw). */
const TAKE_PAGE_FAULT = (pa: string): string => `if (${pa} < 0) { fault = mmu.takeFault(); break burst; }`;

/**
 * The fetch of an instruction's immediate word: through the cached code page, or translated
 * when it is on the next page (a walk there moves the limit, and the TLB may have dropped the
 * code page).
 */
const FETCH_IMMEDIATE = [
  `if ((pc & 0xfff) !== 0xffc) { immHits = (immHits + 1) | 0; imm = i32[(pc + codeDelta + 4) >>> 2]; }`,
  `else { const ipa = mmu.lookup((pc + 4) | 0, FETCH, user); ${TAKE_PAGE_FAULT('ipa')} imm = i32[ipa >>> 2]; codeBits = NO_PAGE; ${walkCheck('n + 1')} }`,
].join('\n');

/** The case of an innocuous instruction: its code row, then retire it and go on (or end the burst). */
const innocuousCase = (mn: Mnemonic, code: InstructionCode): string => {
  for (const v of ISA_VARIANTS)
    if (privilegeOf(mn, v) !== 'none') throw new Error(`'${mn}' has a code row but is privileged on the ${v} ISA: privileged instructions are system instructions`);
  const opcode = ISA[mn].opcode;
  const ext = HAS_EXT_BY_OPCODE[opcode] !== 0;
  const used = { writes: false };
  const body = code.body(operands(ext, used));
  const size = ext ? 8 : 4;
  const jumps = /\bnext\b/.test(body);
  const lines: string[] = [];
  // the row's reserved bits as a literal mask (no table read per instruction)
  const reserved = RESERVED_BITS_BY_OPCODE[opcode];
  if (reserved !== 0) lines.push(`if ((w & ${reserved | 0}) !== 0) ${raise('reserved(w, pc)')}`);
  if (jumps) lines.push(`next = (pc + ${size}) | 0;`);
  lines.push(body);
  if (used.writes) lines.push('regs[0] = 0;');
  lines.push('n = (n + 1) | 0;', jumps ? 'pc = next;' : `pc = (pc + ${size}) | 0;`);
  // an access may have walked the page tables (the clock moved) or evicted the code page's entry
  if (code.memory !== 'none') lines.push(walkCheck('n'), 'if (tags[codeSlot] !== codeVpn) codeBits = NO_PAGE;');
  lines.push('if (n >= limit) break burst;', 'continue burst;');
  return lines.join('\n');
};

/**
 * The one path of every system instruction (the switch's default) and of unassigned
 * opcodes: the privilege check, read by opcode from the CPU's privilege column of the ISA
 * table under its variant (CPL and IOPL are fixed for the burst, so each check is a boolean
 * computed on entry). System instructions are rare (each ends the burst), and sharing one
 * path means V8 has seen it run before it optimizes the burst: a case of its own that first runs later
 * (the OUT that ends a benchmark) would cost a deoptimization and a recompile.
 */
const SYSTEM_PATH = `{
  if (SYSTEM[op] === undefined) ${raise('unassigned(w, pc)')}
  const required = privilege[op];
  if (required === PRIV_KERNEL ? kernelDenied : required === PRIV_IOPL && ioplDenied) ${raise('privileged(op, cpl)')}
  next = (pc + (EXT[op] !== 0 ? 8 : 4)) | 0;
}`;

/**
 * Keep the cached code page in the CPU for the next burst at this privilege, with what
 * validates it then (see Cpu.codePages): only with translation on, where a lookup walks the TLB.
 */
const SAVE_CODE_PAGE = `if (translating) { page.bits = codeBits; page.vpn = codeVpn; page.delta = codeDelta; page.slot = codeSlot; page.generation = mmu.generation; page.misses = mmu.misses; }`;

/** The interpreter's source (the body of a `new Function` returning the burst). */
export const interpreterSource = (): string => {
  const cases = MNEMONICS.flatMap((mn) => {
    const code = INSTRUCTION_CODE[mn];
    if (code === undefined) return [];
    const text = innocuousCase(mn, code);
    return [`case ${ISA[mn].opcode} /* ${mn} */: {\n${text}\n}`];
  });
  return `
return function interpret(m, most, c0, w0) {
  // constants as literals: V8 types the locals they are stored in as small integers (read
  // from the enclosing scope, they are tagged values checked and untagged at every use)
  ${Object.entries(CONSTANTS).map(([k, v]) => `const ${k} = ${v};`).join(' ')}
  const regs = m.regs, mmu = m.mmu, tlb = mmu.tlb, i32 = m.memory.i32, u8 = m.memory.u8;
  // booleans typed as such (V8 does not know a field's type: a test of nonRoot cost a full
  // ToBoolean per instruction, hoisted to the loop's head)
  const cpl = m.cpl, user = cpl === 3, nonRoot = m.nonRoot === true;
  // the clock advances as c0 + n * IC + (walk references since w0) * WC
  const IC = m.instructionCycles, WC = m.walkCycles;
  let walksSeen = w0;
  let n = 0;
  // bursts are bounded so that V8 optimizes this function on entry rather than by on-stack replacement
  const byBudget = m.instructionLimit - m.instructions;
  const byClock = Math.ceil((m.checkpoint - c0) / IC);
  // after STI exactly one instruction runs before interrupts are looked at
  let limit = m.interruptShadow ? 1 : Math.max(1, Math.min(byClock, byBudget, most)) | 0;
  m.interruptShadow = false;
  let pc = m.pc;
  // n at the last time retired instructions were added to the machine's counts
  let start = 0;
  // the current code page: its linear page bits (pc & ~0xfff, or NO_PAGE), number, physical
  // base less its linear bits (a word on it is at physical pc + codeDelta, wrapped to 32 bits
  // by the index's >>>) and TLB slot. Paging and nesting change only through system
  // instructions, which end the burst; the TLB changes only through accesses that miss, after
  // which the slot's tag is checked again (an access may evict the code page: the next fetch
  // misses, as on the TLB)
  let codeBits = NO_PAGE, codeVpn = -1, codeDelta = 0, codeSlot = 0;
  const translating = mmu.translating === true;
  // the page the last burst at this privilege left, if the TLB is as it was then: its entry is
  // still the one a lookup would find (most bursts end at a system instruction, and start on
  // the page where it was, or where the last system call or return left)
  // (every field read on every burst, translating or not: V8 may optimize the burst with the
  // feedback of bursts that all ran with paging off, and a read it had not seen run
  // deoptimized it at the first burst with paging on)
  const page = m.codePages[user ? 1 : 0];
  const keptBits = page.bits | 0, keptVpn = page.vpn | 0, keptDelta = page.delta | 0, keptSlot = page.slot | 0;
  const sameGeneration = page.generation === mmu.generation, sameMisses = page.misses === mmu.misses;
  if (translating && sameGeneration && sameMisses) {
    codeBits = keptBits;
    codeVpn = keptVpn;
    codeDelta = keptDelta;
    codeSlot = keptSlot;
  }
  // the tags the code-page check reads: the TLB's, or with no translation a private slot
  // that always holds the current page
  const tags = translating ? tlb.tag : UNTRANSLATED_TAG;
  // the flags live in a local while the burst runs (written back before anything that reads them)
  let flags = m.flags | 0;
  // the privilege checks: CPL and IOPL change only through system instructions, which end the burst
  const kernelDenied = cpl !== 0, ioplDenied = cpl > ((flags >>> 12) & 3);
  // each opcode's privilege under the CPU's ISA variant
  const privilege = m.privilegeByOpcode;
  // lazy arithmetic flags: the last flag-setting operation's kind, operands and result
  // (words kept as small integers: \`| 0\` on what V8 cannot type, a field or a call's result)
  let lk = 0, lx = 0, ly = 0, lr = zeroWitness(flags) | 0;
  let system = false;
  // TLB hits of fetches through the cached code page and of the inline data path, added to
  // the MMU's count on exit. An instruction word comes through the cached page unless it is
  // fetched through mmu.translate (slowWords counts those, inFetch is set while one runs), so
  // the words' hits are the instructions that got past their fetch less slowWords: n, plus
  // one for an instruction that stopped after its fetch (the system path, a fault); none is
  // counted per instruction. wordsDone: those already added (by the system path). Each exit
  // computes its sum whether or not it adds it: V8 deoptimizes the whole burst at an
  // operation first reached after it optimized the function.
  let immHits = 0, dataHits = 0, slowWords = 0, wordsDone = 0, inFetch = false;
  // the TLB slots of the last two data accesses that hit, on different pages (see fastSlot in instruction-code.ts)
  let dSlot = 0, eSlot = 0;
  const tlbTag = tlb.tag, tlbBase = tlb.base, tlbPerm = tlb.perm, setMask = tlb.setMask, ways = tlb.ways;
  let w = 0, imm = 0, next = 0;
  // a fault the burst raised or caught: the instruction at pc did not retire
  let fault = null;
  try {
    burst: for (;;) {
      // one compare: aligned and on the cached code page
      if ((pc & 0xfffff003) === codeBits) w = i32[(pc + codeDelta) >>> 2];
      else {
        inFetch = true;
        if ((pc & 3) !== 0) ${raise('misaligned(pc)')}
        const pa = mmu.lookup(pc, FETCH, user);
        ${TAKE_PAGE_FAULT('pa')}
        inFetch = false;
        slowWords++;
        w = i32[pa >>> 2];
        codeVpn = pc >>> 12;
        codeBits = pc & 0xfffff000;
        // read whether or not it is used, like the kept page's fields in the prologue (a read
        // first reached after V8 optimized the burst, the first fetch miss with paging on, deoptimized it)
        const lastSlot = mmu.lastSlot;
        codeSlot = translating ? lastSlot : 0;
        if (!translating) tags[0] = codeVpn;
        codeDelta = ((pa & ~0xfff) - codeBits) | 0;
        ${walkCheck('n + 1')}
      }
      const a = (w >>> 20) & 15;
      const op = w >>> 24;
      // every instruction's immediate word (the table's column by opcode; one fetch path for all,
      // which V8 has seen run before it optimizes: a copy in each case made the function 40 %
      // larger and its compile 1.5-2x longer); then each case checks its reserved bits, the
      // system path by the table (see RESERVED for unassigned opcodes). An immediate on a page
      // that faults raises its #PF before a reserved bit's #UD, as x86 takes fetch faults
      // before decode faults
      if (EXT[op] !== 0) {
${FETCH_IMMEDIATE}
      } else imm = 0;
      switch (op) {
${cases.join('\n')}
        default:
          if ((w & RESERVED[op]) !== 0) ${raise('reserved(w, pc)')}
          ${SYSTEM_PATH}
      }
      // a system instruction: it sees exact time and counts, and may change pc, CPL or mode;
      // it runs through its semantics function and ends the burst
      // (the code page is kept before it runs: it may flush the TLB or change CPL)
      ${SAVE_CODE_PAGE}
      wordsDone = n + 1 - slowWords;
      const wordHits = wordsDone + immHits + dataHits;
      mmu.hits += translating ? wordHits : 0;
      immHits = 0;
      dataHits = 0;
      const ran = n - start;
      m.retiredByRing[cpl] += ran;
      m.retiredNonRoot += nonRoot ? ran : 0;
      start = n;
      m.sync();
      m.pc = pc;
      m.next = next;
      flags = lazyFlags(flags, lk, lx, ly, lr);
      lk = 0;
      m.flags = flags;
      // a VM exit comes back as a value: it ends the burst as a throw from the body would
      const exit = SYSTEM[op](m, w, imm);
      if (exit !== undefined) { fault = exit; break burst; }
      flags = m.flags;
      regs[0] = 0;
      // an instruction that traps to a monitor retires when the monitor returns
      if (m.pendingExit === null) n++;
      // its word is in the MMU's count already
      wordsDone = n - slowWords;
      pc = m.next;
      system = true;
      break burst;
    }
  } catch (e) {
    fault = e;
  }
  // a burst that ran to its limit keeps its code page (checked against the TLB after every
  // access); one that faulted keeps the page the last kept (a fault's walk may have filled)
  if (fault === null && !system) ${SAVE_CODE_PAGE}
  // a faulting instruction did not retire: time was not advanced and pc still points at it
  // (its word counts unless its fetch faulted; after the system path, nothing is left to add)
  const hits = n + (fault !== null && !inFetch ? 1 : 0) - slowWords - wordsDone + immHits + dataHits;
  mmu.hits += translating ? hits : 0;
  const ran = n - start;
  m.retiredByRing[cpl] += ran;
  // written whether or not the CPU is in non-root mode: a field first written after V8
  // optimized the burst (the first hardware-assisted run) would deoptimize it
  m.retiredNonRoot += nonRoot ? ran : 0;
  m.sync();
  m.pc = pc;
  // called on every exit, pending or not: a call site first reached after V8 optimized the
  // function (a burst seldom ends with lazy flags pending during warm-up) would deoptimize it
  m.flags = lazyFlags(flags, lk, lx, ly, lr);
  if (fault !== null) {
    // handed to the caller rather than thrown again: a throw costs microseconds
    CAUGHT.value = fault;
    return THREW;
  }
  return system ? SYSTEM_RAN : RAN;
};`;
};

/** System semantics by opcode (the system tail's call: rare, a table call is fine there). */
const SYSTEM_BY_OPCODE: Sem.Exec[] = (() => {
  const t: Sem.Exec[] = new Array(256);
  for (const [mn, exec] of Object.entries(Sem.SYSTEM_SEMANTICS)) t[ISA[mn as Mnemonic].opcode] = exec;
  return t;
})();

/** The small-integer constants the generated source reads, declared in it as literals. */
const CONSTANTS: Readonly<Record<string, number>> = {
  FETCH: Access.fetch,
  // never equal to pc & 0xfffff003 (bit 2 is outside the mask)
  NO_PAGE: 4,
  ZF: Flag.ZF,
  CF: Flag.CF,
  LAZY_ADD,
  LAZY_SUB,
  LAZY_LOGIC,
  PRIV_KERNEL,
  PRIV_IOPL,
};

/** The other names the generated source reads, and their values. */
const SCOPE: Record<string, unknown> = {
  FAULTS,
  CAUGHT,
  RAN,
  SYSTEM_RAN,
  THREW,
  UNTRANSLATED_TAG: new Int32Array(1),
  SYSTEM: SYSTEM_BY_OPCODE,
  limitAfterWalk,
  S: { ...Sem },
  lazyFlags,
  less,
  zeroWitness,
  hitSlot,
  // the immediate's column, and the reserved bits for the system path's check (as signed
  // words, like the instruction word; each innocuous case has its own mask as a literal). An
  // unassigned opcode has every bit reserved and no immediate (core/isa/codec.ts): a word that
  // is not zero raises the reserved-bit fault, which is FAULTS.unassigned's for it, before
  // anything else is fetched; the zero word goes on to the path, which raises its #UD
  RESERVED: new Int32Array(RESERVED_BITS_BY_OPCODE.buffer, RESERVED_BITS_BY_OPCODE.byteOffset, RESERVED_BITS_BY_OPCODE.length),
  EXT: HAS_EXT_BY_OPCODE,
};

/** Compile the interpreter. */
const compile = (): Burst => {
  const names = Object.keys(SCOPE);
  const make = new Function(...names, interpreterSource()) as (...values: unknown[]) => Burst;
  return make(...names.map((k) => SCOPE[k]));
};

/** The interpreter, generated once at start-up. */
const BURST: Burst = compile();

/** What {@link interpretCaught} and the JIT's burst return when the burst raised nothing. */
export const NOTHING_THROWN: unique symbol = Symbol('nothing thrown');

/**
 * A burst of the interpreter (see {@link interpret}) that hands back what it raised (a
 * GuestFault, a VmExitSignal) instead of throwing it, with pc, flags and counts as the
 * throw would have left them; NOTHING_THROWN if it raised nothing. The run loop
 * (core/cpu/execute.ts) takes faults and exits this way: a throw costs microseconds of host
 * time, most of a VMM event's. `ended.system` says whether a system instruction ended it.
 */
export const interpretCaught = (m: Cpu, most = MAX_BURST, c0 = m.time, w0 = m.mmu.walkReferences, ended?: { system: boolean }): unknown => {
  const r = BURST(m, most, c0, w0);
  if (ended !== undefined) ended.system = r === SYSTEM_RAN;
  if (r !== THREW) return NOTHING_THROWN;
  const e = CAUGHT.value;
  CAUGHT.value = null;
  return e;
};

/** Throw what a burst caught. */
const rethrow = (e: unknown): never => {
  throw e;
};

/**
 * Execute a burst of instructions at one CPL until the clock reaches the checkpoint (devices
 * or the cycle budget), the instruction budget is spent, an interrupt may be deliverable, or
 * a system instruction ran (it may change CPL or mode). Faults and VM exits leave by
 * throwing; the counts are folded into the CPU's ledger either way, so the clock (modelled
 * cycles) is exact at every exit of the burst.
 *
 * The clock inside a burst is the clock at its start plus the instructions retired and the
 * page-walk references made since, each at its price: the burst ends at the first
 * instruction boundary at or past the checkpoint, and any engine must end it there too.
 *
 * Another engine (core/cpu/jit.ts) hands instructions it does not compile to this one inside
 * its own burst: `most` caps the instructions run, `c0` and `w0` are the clock and the
 * walk references at the start of that burst (so the checkpoint is found at the same
 * boundary). Returns whether a system instruction ended the burst.
 */
export const interpret = (m: Cpu, most = MAX_BURST, c0 = m.time, w0 = m.mmu.walkReferences): boolean => {
  const r = BURST(m, most, c0, w0);
  if (r === THREW) {
    const e = CAUGHT.value;
    CAUGHT.value = null;
    return rethrow(e);
  }
  return r === SYSTEM_RAN;
};
