/**
 * The innocuous instructions' semantics, written once, as code templates: each row gives the
 * JavaScript of the instruction's body over named operands, and each engine instantiates it
 * with its own operand expressions: the reference interpreter (core/cpu/interpreter.ts)
 * generates its switch cases from these rows at start-up, with registers in the CPU's
 * register file and the immediate as a local; the JIT (core/cpu/jit-compile.ts) its blocks,
 * with registers in locals and the immediate and next pc as constants.
 *
 * A body may use these names of the generated scope: `lk lx ly lr` (lazy flags, see
 * core/cpu/lazy-flags.ts: `lr` is 0 exactly when ZF is set), `flags` (the flags word),
 * `next` (the address of the next instruction; a jump assigns it), `m` (the Cpu), `S` (core/cpu/semantics.ts), `lazyFlags`,
 * `less`, the flag constants `ZF CF`, the lazy kinds `LAZY_ADD LAZY_SUB LAZY_LOGIC`, and for
 * the inline TLB path `i32 u8 tlbTag tlbPerm tlbBase setMask ways translating user hitSlot
 * dataHits dSlot eSlot` (a TLB hit counted in `dataHits` is what `Mmu.translate` counts for it;
 * `dSlot` and `eSlot`, TLB slots, start at 0). A body
 * raises an exception it finds itself through `raise` (the interpreter ends its burst with it,
 * without the microseconds of a throw), may throw one from deeper down (GuestFault,
 * VmExitSignal: a page walk), always before changing any register, or completes.
 *
 * An instruction with no row here is a system instruction: its semantics are a function in
 * core/cpu/semantics.ts (SYSTEM_SEMANTICS, typed so that every row of the ISA table is in
 * exactly one of the two), the interpreter calls it with exact time and counts and ends its
 * burst, and the JIT leaves it to the interpreter.
 * @category CPU
 */
import type { Mnemonic } from '../isa/table';
import { TlbPerm, WRITABLE_DIRTY } from '../mmu/tlb';

/** The operand expressions an engine gives a template. */
export interface Operands {
  /** value of register ra, rb, rc */
  readonly ra: string;
  readonly rb: string;
  readonly rc: string;
  /** assignment target for register ra */
  readonly wa: string;
  /** value of / assignment target for register number n */
  readonly reg: (n: number) => string;
  readonly wreg: (n: number) => string;
  /** the immediate word */
  readonly imm: string;
  /** value of / assignment target for the stack pointer (r15) */
  readonly sp: string;
  readonly wsp: string;
  /** a statement run after the inline path stored at physical address `pa` (an engine's code-write check) */
  readonly wrote: (pa: string) => string;
  /** a statement run after a store through the Cpu's slower path (misses, straddling words) */
  readonly slow: string;
  /** a statement that raises the exception `fault` (an expression): the instruction does not retire */
  readonly raise: (fault: string) => string;
}

/** How an instruction touches guest memory (for the engine's page-walk and code-write checks). */
export type MemoryUse = 'none' | 'read' | 'write';

/** One instruction's code. */
export interface InstructionCode {
  /** the body's JavaScript */
  readonly body: (o: Operands) => string;
  readonly memory: MemoryUse;
  /** the body may raise an exception without touching memory (division) */
  readonly faults?: true;
}

const alu = (expr: (x: string, y: string) => string, lazy: 'add' | 'sub' | 'logic', imm: boolean): InstructionCode => ({
  memory: 'none',
  body: (o) => {
    const y = imm ? o.imm : o.rc;
    if (lazy === 'logic') return `{ const r = ${expr(o.rb, y)}; ${o.wa} = r; lk = LAZY_LOGIC; lr = r; }`;
    return `{ const x = ${o.rb}; const y = ${y}; const r = ${expr('x', 'y')}; ${o.wa} = r; lk = ${lazy === 'add' ? 'LAZY_ADD' : 'LAZY_SUB'}; lx = x; ly = y; lr = r; }`;
  },
});

const mul = (imm: boolean): InstructionCode => ({
  memory: 'none',
  body: (o) =>
    `if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } m.flags = flags; { const r = S.mulFlags(m, ${o.rb}, ${imm ? o.imm : o.rc}); ${o.wa} = r; lr = r; } flags = m.flags;`,
});

const none = (body: (o: Operands) => string): InstructionCode => ({ memory: 'none', body });

/** Signed division or remainder (`result` of x and y), raising #DE on zero or overflow. */
const division = (result: string): InstructionCode => ({
  memory: 'none',
  faults: true,
  body: (o) => `{ const x = ${o.rb}; const y = ${o.rc}; const de = S.divisionFault(x, y); if (de !== null) ${o.raise('de')} ${o.wa} = ${result}; }`,
});

/** A conditional jump taken when `cond` holds (`cond` reads the flags word after materializing). */
const jcc = (cond: string): InstructionCode =>
  none((o) => `if (lk !== 0) { flags = lazyFlags(flags, lk, lx, ly, lr); lk = 0; } if (${cond}) next = (next + ${o.imm}) | 0;`);

/**
 * The TLB slot of an access at `va` the inline path may take (aligned words only), or -1:
 * hitSlot's answer. The slots of the last two data accesses that hit on different pages are
 * tried first (`dSlot` the last, `eSlot` the one before): a page is in at most one slot
 * (Tlb.fill replaces its entry), so if such a slot's tag is `va`'s page it is the slot
 * hitSlot would find, and its permissions decide as there. Most accesses go to the page the
 * last one did (the stack, a loop's array) or the one before (a copy's source and
 * destination, the stack and a structure): hitSlot, a call with a loop over the set's ways,
 * was 13 % of a native syscall run before the last slot was tried, and with only the last
 * tried, a copy loop called it at every access.
 */
const fastSlot = (va: string, write: boolean, word: boolean) => {
  const denied = (s: string) => `${write ? `(tlbPerm[${s}] & ${WRITABLE_DIRTY}) !== ${WRITABLE_DIRTY} || ` : ''}(user && (tlbPerm[${s}] & ${TlbPerm.user}) === 0)`;
  // a hit on another page than the last: it becomes the last, the last the one before
  const remember = 'if (slot >= 0) { eSlot = dSlot; dSlot = slot; }';
  return (
    `let slot = -1; if (${word ? `(${va} & 3) === 0 && ` : ''}translating) { ` +
    `if (tlbTag[dSlot] === ${va} >>> 12) slot = ${denied('dSlot')} ? -1 : dSlot; ` +
    `else if (tlbTag[eSlot] === ${va} >>> 12) { slot = ${denied('eSlot')} ? -1 : eSlot; ${remember} } ` +
    `else { slot = hitSlot(tlbTag, tlbPerm, setMask, ways, ${va} >>> 12, user, ${write}); ${remember} } }`
  );
};

/** The Cpu's slower access `call` (a `try` method), raising the page fault it left. */
const slowAccess = (o: Operands, call: string) => `m.${call}; if (m.mmu.fault !== null) ${o.raise('m.mmu.takeFault()')}`;

/** Load a word at `va` into `target` (the inline path, else the Cpu's read: `target` is not written if it faults). */
const loadWord = (o: Operands, va: string, target: string) =>
  `{ ${fastSlot(va, false, true)} if (slot >= 0) { dataHits++; ${target} = i32[(tlbBase[slot] | (${va} & 0xfff)) >>> 2]; } else { const lv = ${slowAccess(o, `tryRead32(${va})`)} ${target} = lv; } }`;

/** Store `value` at `va` (the inline path, else the Cpu's write). */
const storeWord = (o: Operands, va: string, value: string) =>
  `{ ${fastSlot(va, true, true)} if (slot >= 0) { dataHits++; const pa = tlbBase[slot] | (${va} & 0xfff); i32[pa >>> 2] = ${value}; ${o.wrote('pa')} } else { ${slowAccess(o, `tryWrite32(${va}, ${value})`)} ${o.slow} } }`;

/** push `value` (sp -= 4; [sp] = value: Cpu.push). */
const push = (o: Operands, value: string) => `{ const pv = ${value}; const va = (${o.sp} - 4) | 0; ${storeWord(o, 'va', 'pv')} ${o.wsp} = va; }`;

/** pop into `target` (target = [sp]; sp += 4: Cpu.pop). */
const pop = (o: Operands, target: string) => `{ const va = ${o.sp}; let pv = 0; ${loadWord(o, 'va', 'pv')} ${o.wsp} = (va + 4) | 0; ${target} = pv; }`;

const CODE = {
  nop: none(() => ''),
  mov: none((o) => `${o.wa} = ${o.rb};`),
  li: none((o) => `${o.wa} = ${o.imm};`),
  add: alu((x, y) => `(${x} + ${y}) | 0`, 'add', false),
  sub: alu((x, y) => `(${x} - ${y}) | 0`, 'sub', false),
  and: alu((x, y) => `${x} & ${y}`, 'logic', false),
  or: alu((x, y) => `${x} | ${y}`, 'logic', false),
  xor: alu((x, y) => `${x} ^ ${y}`, 'logic', false),
  shl: alu((x, y) => `${x} << (${y} & 31)`, 'logic', false),
  shr: alu((x, y) => `(${x} >>> (${y} & 31)) | 0`, 'logic', false),
  sar: alu((x, y) => `${x} >> (${y} & 31)`, 'logic', false),
  mul: mul(false),
  div: division('(x / y) | 0'),
  rem: division('x % y | 0'),
  addi: alu((x, y) => `(${x} + ${y}) | 0`, 'add', true),
  subi: alu((x, y) => `(${x} - ${y}) | 0`, 'sub', true),
  andi: alu((x, y) => `${x} & ${y}`, 'logic', true),
  ori: alu((x, y) => `${x} | ${y}`, 'logic', true),
  xori: alu((x, y) => `${x} ^ ${y}`, 'logic', true),
  shli: alu((x, y) => `${x} << (${y} & 31)`, 'logic', true),
  shri: alu((x, y) => `(${x} >>> (${y} & 31)) | 0`, 'logic', true),
  sari: alu((x, y) => `${x} >> (${y} & 31)`, 'logic', true),
  muli: mul(true),
  cmp: none((o) => `{ const x = ${o.ra}; const y = ${o.rb}; const r = (x - y) | 0; lk = LAZY_SUB; lx = x; ly = y; lr = r; }`),
  cmpi: none((o) => `{ const x = ${o.ra}; const y = ${o.imm}; const r = (x - y) | 0; lk = LAZY_SUB; lx = x; ly = y; lr = r; }`),
  test: none((o) => `{ const r = ${o.ra} & ${o.rb}; lk = LAZY_LOGIC; lr = r; }`),
  not: none((o) => `${o.wa} = ~${o.ra};`),
  neg: none((o) => `{ const x = 0; const y = ${o.ra}; const r = (x - y) | 0; ${o.wa} = r; lk = LAZY_SUB; lx = x; ly = y; lr = r; }`),
  lea: none((o) => `${o.wa} = (next + ${o.imm}) | 0;`),
  ld: { memory: 'read', body: (o) => `{ const va = (${o.rb} + ${o.imm}) | 0; ${loadWord(o, 'va', o.wa)} }` },
  st: { memory: 'write', body: (o) => `{ const va = (${o.rb} + ${o.imm}) | 0; ${storeWord(o, 'va', o.ra)} }` },
  ldb: {
    memory: 'read',
    body: (o) =>
      `{ const va = (${o.rb} + ${o.imm}) | 0; ${fastSlot('va', false, false)} if (slot >= 0) { dataHits++; ${o.wa} = u8[tlbBase[slot] | (va & 0xfff)]; } else { const lv = ${slowAccess(o, 'tryRead8(va)')} ${o.wa} = lv; } }`,
  },
  stb: {
    memory: 'write',
    body: (o) =>
      `{ const va = (${o.rb} + ${o.imm}) | 0; ${fastSlot('va', true, false)} if (slot >= 0) { dataHits++; const pa = tlbBase[slot] | (va & 0xfff); u8[pa] = ${o.ra}; ${o.wrote('pa')} } else { ${slowAccess(o, `tryWrite8(va, ${o.ra})`)} ${o.slow} } }`,
  },
  push: { memory: 'write', body: (o) => push(o, o.ra) },
  pop: { memory: 'read', body: (o) => pop(o, o.wa) },
  xchg: {
    memory: 'write',
    body: (o) => `{ const va = (${o.rb} + ${o.imm}) | 0; const old = m.read32(va); m.write32(va, ${o.ra}); ${o.slow} ${o.wa} = old; }`,
  },
  cmpxchg: {
    memory: 'write',
    body: (o) =>
      `{ const va = (${o.rb} + ${o.imm}) | 0; const cur = m.read32(va); const acc = ${o.reg(1)}; m.write32(va, cur === acc ? ${o.ra} : cur); ${o.slow} if (cur !== acc) ${o.wreg(1)} = cur; lk = LAZY_SUB; lx = acc; ly = cur; lr = (acc - cur) | 0; }`,
  },
  jmp: none((o) => `next = (next + ${o.imm}) | 0;`),
  // lr is 0 exactly when ZF is set, pending operation or not (core/cpu/lazy-flags.ts)
  jz: none((o) => `if (lr === 0) next = (next + ${o.imm}) | 0;`),
  jnz: none((o) => `if (lr !== 0) next = (next + ${o.imm}) | 0;`),
  jl: jcc('less(flags)'),
  jge: jcc('!less(flags)'),
  jle: jcc('(flags & ZF) !== 0 || less(flags)'),
  jg: jcc('(flags & ZF) === 0 && !less(flags)'),
  jb: jcc('(flags & CF) !== 0'),
  jae: jcc('(flags & CF) === 0'),
  call: { memory: 'write', body: (o) => `${push(o, 'next')} next = (next + ${o.imm}) | 0;` },
  callr: { memory: 'write', body: (o) => `{ const t = ${o.ra}; ${push(o, 'next')} next = t; }` },
  jmpr: none((o) => `next = ${o.ra};`),
  ret: { memory: 'read', body: (o) => pop(o, 'next') },
  // pause is a system instruction (its latency is counted, it may exit): the interpreter runs it
  rdpid: none((o) => `${o.wa} = m.cpuId;`),
} satisfies Partial<Record<Mnemonic, InstructionCode>>;

/** A mnemonic with a code row: an innocuous instruction. */
export type InnocuousMnemonic = keyof typeof CODE;

/** A mnemonic without a code row: a system instruction (core/cpu/semantics.ts). */
export type SystemMnemonic = Exclude<Mnemonic, InnocuousMnemonic>;

/**
 * The code of each innocuous instruction (see the module comment). Typed as partial: the
 * JIT compiles only what has a row when it compiles (tests take a row away).
 */
export const INSTRUCTION_CODE: Partial<Record<Mnemonic, InstructionCode>> = CODE;
