/**
 * The guest ISA as one table of plain data.
 *
 * Every other view of the instruction set is derived from this table: the decoder and
 * encoder (core/isa/codec.ts), the assembler and disassembler (core/asm), the privilege
 * checks and the Popek-Goldberg classification (core/isa/classify.ts), and the
 * translator's block boundaries (`flow`).
 *
 * Instruction word (32 bits, little-endian in memory):
 * ```
 *  31      24 23  20 19  16 15  12 11          0
 * +----------+------+------+------+-------------+
 * |  opcode  |  ra  |  rb  |  rc  |    imm12    |   [+ one 32-bit immediate word]
 * +----------+------+------+------+-------------+
 * ```
 * Fields a format does not use must be zero; a word with non-zero unused bits is not a
 * valid encoding (invalid opcode), so decode(encode(i)) = i and encodings never overlap.
 *
 * Key to the columns:
 * - `format`: operand fields and assembly syntax (see {@link Formats}).
 * - `privilege`: `none` runs at any CPL; `kernel` raises #GP when CPL > 0; `iopl` raises
 *   #GP when CPL > IOPL. Rows with `flaw` are unprivileged on the default ISA and become
 *   `kernel` on the `virtualizable` variant.
 * - `sensitivity`: Popek & Goldberg. `control`: changes or tries to change the
 *   configuration of the machine's resources. `behavior`: its result depends on that
 *   configuration (mode, location). `none`: innocuous.
 * - `userSensitive`: sensitive also in user mode (Theorem 3's condition); reading state a
 *   VMM relocates (the IDT base, the machine status word) is, reading the mode is not.
 * - `flow`: how the instruction changes control flow; anything but `next` ends a
 *   translation block.
 * - `pcRelative`: the immediate is relative to the next instruction's address.
 * - `exits`: whether the instruction itself leaves non-root mode, under each flavour of the
 *   hardware extension (`vmx`: Intel VT-x with a VMCS, `svm`: AMD-V with a VMCB): `never`,
 *   `control` (when the VMM's controls or intercept bits select it) or `always`. Faults an
 *   instruction raises exit through the exception bitmap/intercepts, not counted here.
 *
 * @category ISA
 */

/** Operand layouts. `ext` formats take the 32-bit immediate word after the instruction. */
export const Formats = {
  /** no operands */
  none: { fields: [], ext: false, syntax: '' },
  /** `ra` */
  r: { fields: ['ra'], ext: false, syntax: 'ra' },
  /** `ra, rb` */
  rr: { fields: ['ra', 'rb'], ext: false, syntax: 'ra, rb' },
  /** `ra, rb, rc` */
  rrr: { fields: ['ra', 'rb', 'rc'], ext: false, syntax: 'ra, rb, rc' },
  /** `ra, imm32` */
  ri: { fields: ['ra', 'imm'], ext: true, syntax: 'ra, imm' },
  /** `ra, rb, imm32` */
  rri: { fields: ['ra', 'rb', 'imm'], ext: true, syntax: 'ra, rb, imm' },
  /** `ra, [rb+imm32]` */
  load: { fields: ['ra', 'rb', 'imm'], ext: true, syntax: 'ra, [rb+imm]' },
  /** `[rb+imm32], ra` */
  store: { fields: ['ra', 'rb', 'imm'], ext: true, syntax: '[rb+imm], ra' },
  /** `target` (pc-relative imm32) */
  rel: { fields: ['imm'], ext: true, syntax: 'target' },
  /** `ra, target` (pc-relative imm32) */
  rrel: { fields: ['ra', 'imm'], ext: true, syntax: 'ra, target' },
  /** `imm12` */
  s: { fields: ['imm12'], ext: false, syntax: 'imm12' },
  /** `ra, port` (port in imm12) */
  rport: { fields: ['ra', 'imm12'], ext: false, syntax: 'ra, port' },
  /** `port, ra` */
  portr: { fields: ['ra', 'imm12'], ext: false, syntax: 'port, ra' },
  /** `ra, crN` */
  rcr: { fields: ['ra', 'imm12'], ext: false, syntax: 'ra, cr' },
  /** `crN, ra` */
  crr: { fields: ['ra', 'imm12'], ext: false, syntax: 'cr, ra' },
} as const;

/** Name of an operand layout. */
export type Format = keyof typeof Formats;

/** Privilege requirement of an instruction on the default ISA. */
export type Privilege = 'none' | 'kernel' | 'iopl';

/** Popek-Goldberg sensitivity. */
export type Sensitivity = 'none' | 'control' | 'behavior';

/** Control-flow effect; anything but `next` ends a translation block. */
export type Flow =
  | 'next'
  | 'jump'
  | 'branch'
  | 'call'
  | 'indirect-jump'
  | 'indirect-call'
  | 'return'
  | 'trap'
  | 'interrupt-return'
  | 'halt';

/** Whether an instruction leaves non-root mode under a flavour of the hardware extension. */
export type Exiting = 'never' | 'control' | 'always';

/** The flavours of the hardware virtualization extension. */
export type HardwareFlavour = 'vmx' | 'svm';

/** One row of the instruction table. */
export interface InstructionSpec {
  readonly exits: { readonly [F in HardwareFlavour]: Exiting };
  readonly opcode: number;
  readonly format: Format;
  readonly privilege: Privilege;
  readonly sensitivity: Sensitivity;
  readonly userSensitive: boolean;
  readonly flaw: boolean;
  readonly flow: Flow;
  readonly pcRelative: boolean;
  readonly summary: string;
}

const NEVER_EXITS = { vmx: 'never', svm: 'never' } as const;
/** Exits when the VMM asks, under both flavours. */
const CONTROLLED_EXITS = { vmx: 'control', svm: 'control' } as const;

type Row = Partial<InstructionSpec> & Pick<InstructionSpec, 'opcode' | 'format' | 'summary'>;

const row = (r: Row): InstructionSpec => ({
  privilege: 'none',
  sensitivity: 'none',
  userSensitive: false,
  flaw: false,
  flow: 'next',
  pcRelative: false,
  exits: NEVER_EXITS,
  ...r,
});

const alu = (opcode: number, summary: string) => row({ opcode, format: 'rrr', summary });
const alui = (opcode: number, summary: string) => row({ opcode, format: 'rri', summary });
const jcc = (opcode: number, summary: string) =>
  row({ opcode, format: 'rel', flow: 'branch', pcRelative: true, summary });
const priv = (opcode: number, format: Format, summary: string, r: Partial<Row> = {}) =>
  row({ opcode, format, privilege: 'kernel', sensitivity: 'control', userSensitive: true, summary, ...r });

/**
 * The instruction table, keyed by mnemonic. Opcode 0x00 is deliberately unassigned so that
 * running into zeroed memory raises invalid opcode.
 */
export const ISA = {
  // ---- innocuous: data movement and arithmetic ------------------------------------------
  nop: row({ opcode: 0x01, format: 'none', summary: 'do nothing' }),
  mov: row({ opcode: 0x02, format: 'rr', summary: 'ra = rb' }),
  li: row({ opcode: 0x03, format: 'ri', summary: 'ra = imm' }),
  add: alu(0x04, 'ra = rb + rc; sets flags'),
  sub: alu(0x05, 'ra = rb - rc; sets flags'),
  and: alu(0x06, 'ra = rb & rc; sets flags'),
  or: alu(0x07, 'ra = rb | rc; sets flags'),
  xor: alu(0x08, 'ra = rb ^ rc; sets flags'),
  shl: alu(0x09, 'ra = rb << (rc & 31); sets flags'),
  shr: alu(0x0a, 'ra = rb >>> (rc & 31); sets flags'),
  sar: alu(0x0b, 'ra = rb >> (rc & 31); sets flags'),
  mul: alu(0x0c, 'ra = low 32 bits of rb * rc; sets flags'),
  div: alu(0x0d, 'ra = rb / rc (signed, truncating); #DE if rc = 0 or overflow'),
  rem: alu(0x0e, 'ra = rb % rc (signed); #DE if rc = 0 or overflow'),
  addi: alui(0x10, 'ra = rb + imm; sets flags'),
  subi: alui(0x11, 'ra = rb - imm; sets flags'),
  andi: alui(0x12, 'ra = rb & imm; sets flags'),
  ori: alui(0x13, 'ra = rb | imm; sets flags'),
  xori: alui(0x14, 'ra = rb ^ imm; sets flags'),
  shli: alui(0x15, 'ra = rb << (imm & 31); sets flags'),
  shri: alui(0x16, 'ra = rb >>> (imm & 31); sets flags'),
  sari: alui(0x17, 'ra = rb >> (imm & 31); sets flags'),
  muli: alui(0x18, 'ra = low 32 bits of rb * imm; sets flags'),
  cmp: row({ opcode: 0x19, format: 'rr', summary: 'flags of ra - rb' }),
  cmpi: row({ opcode: 0x1a, format: 'ri', summary: 'flags of ra - imm' }),
  test: row({ opcode: 0x1b, format: 'rr', summary: 'flags of ra & rb' }),
  not: row({ opcode: 0x1c, format: 'r', summary: 'ra = ~ra' }),
  neg: row({ opcode: 0x1d, format: 'r', summary: 'ra = -ra; sets flags' }),
  lea: row({ opcode: 0x1e, format: 'rrel', pcRelative: true, summary: 'ra = address of target (pc-relative)' }),
  // ---- innocuous: memory ----------------------------------------------------------------
  ld: row({ opcode: 0x20, format: 'load', summary: 'ra = 32-bit word at rb + imm' }),
  st: row({ opcode: 0x21, format: 'store', summary: '32-bit word at rb + imm = ra' }),
  ldb: row({ opcode: 0x22, format: 'load', summary: 'ra = zero-extended byte at rb + imm' }),
  stb: row({ opcode: 0x23, format: 'store', summary: 'byte at rb + imm = low byte of ra' }),
  push: row({ opcode: 0x24, format: 'r', summary: 'sp -= 4; [sp] = ra' }),
  pop: row({ opcode: 0x25, format: 'r', summary: 'ra = [sp]; sp += 4' }),
  // ---- innocuous: multiprocessor synchronisation --------------------------------------------
  xchg: row({ opcode: 0x26, format: 'load', summary: 'swap ra and the 32-bit word at rb + imm, atomically' }),
  cmpxchg: row({
    opcode: 0x27,
    format: 'load',
    summary: 'compare the word at rb + imm with r1 (flags as cmp r1, word); equal: store ra there, else r1 = the word; atomic (the word is written either way, as x86 does)',
  }),
  // ---- innocuous: control flow ------------------------------------------------------------
  jmp: row({ opcode: 0x28, format: 'rel', flow: 'jump', pcRelative: true, summary: 'pc = target' }),
  jz: jcc(0x29, 'jump if ZF (equal)'),
  jnz: jcc(0x2a, 'jump if not ZF (not equal)'),
  jl: jcc(0x2b, 'jump if SF != OF (signed less)'),
  jge: jcc(0x2c, 'jump if SF == OF (signed greater or equal)'),
  jle: jcc(0x2d, 'jump if ZF or SF != OF (signed less or equal)'),
  jg: jcc(0x2e, 'jump if not ZF and SF == OF (signed greater)'),
  jb: jcc(0x2f, 'jump if CF (unsigned below)'),
  jae: jcc(0x30, 'jump if not CF (unsigned above or equal)'),
  call: row({ opcode: 0x34, format: 'rel', flow: 'call', pcRelative: true, summary: 'push next pc; pc = target' }),
  callr: row({ opcode: 0x35, format: 'r', flow: 'indirect-call', summary: 'push next pc; pc = ra' }),
  jmpr: row({ opcode: 0x36, format: 'r', flow: 'indirect-jump', summary: 'pc = ra' }),
  ret: row({ opcode: 0x37, format: 'none', flow: 'return', summary: 'pc = [sp]; sp += 4' }),
  pause: row({
    opcode: 0x3a,
    format: 'none',
    summary: 'spin-wait hint (x86 PAUSE): no architectural effect; takes its latency (profile cost pause); exits under VT-x pause-loop exiting when a spin outlasts the window (AMD-V\'s pause filter is not modelled)',
    exits: { vmx: 'control', svm: 'never' },
  }),
  rdpid: row({
    opcode: 0x3b,
    format: 'r',
    summary: "ra = this CPU's number (x86 RDPID reading IA32_TSC_AUX, which the system sets per CPU; a VMM loads each vCPU's own, so nothing traps or exits)",
  }),
  int: row({
    opcode: 0x38,
    format: 's',
    flow: 'trap',
    summary: 'software interrupt through IDT vector imm12 (#GP if the gate DPL < CPL)',
  }),
  vmcall: row({
    opcode: 0x39,
    format: 'none',
    flow: 'trap',
    summary: 'call the hypervisor: a VM exit in non-root mode, else #UD unless a monitor claims it',
    // VMCALL always exits; VMMCALL exits when intercepted (#UD otherwise, which the model's VMMs never ask for)
    exits: { vmx: 'always', svm: 'always' },
  }),
  // ---- sensitive but unprivileged on x86 (Robin & Irvine 2000) --------------------------
  pushf: row({
    opcode: 0x40,
    format: 'none',
    sensitivity: 'behavior',
    flaw: true,
    summary: 'push flags: reveals the real IF and IOPL',
  }),
  popf: row({
    opcode: 0x41,
    format: 'none',
    sensitivity: 'control',
    flaw: true,
    summary: 'pop flags: outside ring 0 silently keeps IOPL, and IF unless CPL <= IOPL',
  }),
  sidt: row({
    opcode: 0x42,
    format: 'r',
    sensitivity: 'behavior',
    userSensitive: true,
    flaw: true,
    summary: 'ra = interrupt table base: reveals where the real table is',
  }),
  smsw: row({
    opcode: 0x43,
    format: 'r',
    sensitivity: 'behavior',
    userSensitive: true,
    flaw: true,
    summary: 'ra = cr0 (machine status word): reveals the real paging state',
    // VT-x answers from the CR0 read shadow; a VMCB has none, so SMSW exits with the CR0 read intercept
    exits: { vmx: 'never', svm: 'control' },
  }),
  rdcpl: row({
    opcode: 0x44,
    format: 'r',
    sensitivity: 'behavior',
    flaw: true,
    summary: 'ra = current privilege level (like reading CS): reveals the real ring',
  }),
  // ---- privileged ----------------------------------------------------------------------
  cli: priv(0x50, 'none', 'IF = 0'),
  sti: priv(0x51, 'none', 'IF = 1 (interrupts recognised after the next instruction)'),
  hlt: priv(0x52, 'none', 'wait for the next interrupt (stops the machine if IF = 0)', { flow: 'halt', exits: CONTROLLED_EXITS }),
  rdcr: priv(0x53, 'rcr', 'ra = control register', { sensitivity: 'behavior', exits: CONTROLLED_EXITS }),
  wrcr: priv(0x54, 'crr', 'control register = ra (cr3 write flushes the TLB)', { exits: CONTROLLED_EXITS }),
  lidt: priv(0x55, 'r', 'interrupt table base = ra', { exits: CONTROLLED_EXITS }),
  invlpg: priv(0x56, 'r', 'drop the TLB entry for the page holding address ra', { exits: CONTROLLED_EXITS }),
  in: priv(0x57, 'rport', 'ra = read from I/O port', { privilege: 'iopl', exits: CONTROLLED_EXITS }),
  out: priv(0x58, 'portr', "write ra to I/O port (port 0x24 is the local interrupt controller's ICR: inter-processor interrupts, INIT and start-up; a deprivileged kernel traps, VT-x and AMD-V exit through the I/O bitmap or intercepts)", { privilege: 'iopl', exits: CONTROLLED_EXITS }),
  sysenter: row({
    opcode: 0x5a,
    format: 'none',
    flow: 'trap',
    summary: 'fast system call: CPL = 0, IF = 0, sp = cr11, pc = cr10 (#GP if cr10 = 0); the caller keeps its own return pc and sp',
  }),
  sysexit: priv(0x5b, 'rr', 'fast return to user mode: CPL = 3, pc = ra, sp = rb (flags unchanged)', { flow: 'interrupt-return' }),
  iret: row({
    opcode: 0x59,
    format: 'none',
    sensitivity: 'control',
    flaw: true,
    flow: 'interrupt-return',
    summary: 'return from interrupt: pop pc, cs, flags, sp; outside ring 0 silently keeps IOPL, and IF unless CPL <= IOPL',
  }),
} as const satisfies Record<string, InstructionSpec>;

/** An instruction mnemonic. */
export type Mnemonic = keyof typeof ISA;

/** All mnemonics in table order. */
export const MNEMONICS = Object.keys(ISA) as Mnemonic[];

/** Number of general-purpose registers. r0 always reads zero (writes are discarded), so a
 * memory operand `[imm]` is `[r0+imm]`; `sp` is an alias of r15 and `fp` of r14. */
export const REGISTER_COUNT = 16;

/** Index of the stack pointer register. */
export const SP = 15;

/** Index of the frame pointer register (a convention; no instruction treats it specially). */
export const FP = 14;

/** Control registers that exist (others raise #UD). */
export const ControlRegister = {
  /** machine status word: bit 0 = paging enabled */
  cr0: 0,
  /** faulting address of the last page fault */
  cr2: 2,
  /** page-table base (physical address of the page directory) */
  cr3: 3,
  /** stack pointer loaded when an interrupt enters ring 0 */
  cr4: 4,
  /** stack pointer loaded when an interrupt enters ring 1 */
  cr5: 5,
  /** stack pointer loaded when an interrupt enters ring 2 */
  cr6: 6,
  /** task-priority register: interrupts with vector >> 4 <= cr8 are held back */
  cr8: 8,
  /** SYSENTER's entry point (x86's IA32_SYSENTER_EIP) */
  cr10: 10,
  /** SYSENTER's stack pointer (x86's IA32_SYSENTER_ESP) */
  cr11: 11,
} as const;

/** Name of a control register. */
export type ControlRegister = keyof typeof ControlRegister;

/** The numbers of the control registers that exist. */
export const CONTROL_REGISTERS: ReadonlySet<number> = new Set(Object.values(ControlRegister));

/** cr0 bit: paging enabled. */
export const CR0_PG = 1;

/** Flag register bits (x86 positions). */
export const Flag = {
  CF: 1 << 0,
  ZF: 1 << 6,
  SF: 1 << 7,
  IF: 1 << 9,
  OF: 1 << 11,
  IOPL: 3 << 12,
} as const;

/** Shift of the IOPL field within the flags register. */
export const IOPL_SHIFT = 12;

/** Architectural exception vectors. */
export const Vector = {
  divideError: 0,
  invalidOpcode: 6,
  doubleFault: 8,
  generalProtection: 13,
  pageFault: 14,
} as const;

