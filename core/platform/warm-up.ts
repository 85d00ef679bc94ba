/**
 * The interpreter's warm-up: a short guest program run once per process (and per worker
 * thread) on a scratch machine before the first virtual machine starts. It is host
 * machinery only: it touches no state a run reads, and no modelled number depends on it.
 *
 * Why: V8 optimizes the interpreter's burst (one large generated function) with the type
 * feedback of what has run so far; an operation it has never seen run is compiled as a
 * deoptimization. Every instruction, slow path and fault path that a workload reaches for
 * the first time after that (an `or`, a TLB miss in `ret`, a page fault in `stb`) threw the
 * optimized burst away, and V8 compiled it again: `compare` deoptimized it 13 times, each
 * time running unoptimized meanwhile and spending ~100-250 ms of compile on the second core.
 * This program runs each of those once first, in the three modes a guest runs in (paging
 * off, ring 0 with paging, ring 3), so the first optimization sees them all; and the fields
 * the burst reads are made as general as virtual machines will make them
 * ({@link generalizeFields}). V8 marks the burst for optimization partway through the
 * program and takes the feedback it has then, so what differs between the modes comes
 * first and briefly: a quick body with paging off, then with paging on in ring 0, then the
 * full body in ring 3 (the rows behave alike in every mode; the paths around them differ).
 * It starts with a short loop, since V8 records nothing before it has given the burst its
 * feedback vector. With both, `compare` compiles the burst once per thread (8 to 10 times
 * in all before, 150-240 ms each).
 *
 * What it runs: every innocuous row of the ISA table (the ALU and branch rows generated from
 * the table, with small, large and negative operands, branches both taken and not), loads
 * and stores that hit the TLB (through hitSlot and through the last data slot), miss it,
 * are misaligned, straddle a page and fault, pushes, pops, calls and returns that miss, an
 * immediate on the next page, the system path, and the faults the burst raises itself (#DE,
 * #UD, #GP for privilege and alignment, #PF on data and on fetch), each resumed by a handler
 * at the address in r14.
 * @category Platform
 */
import { isLeft } from 'fp-ts/Either';
import { assemble, formatAsmError } from '../asm';
import { gateFlags } from '../cpu/idt';
import { Port } from '../devices/ports';
import { INSTRUCTION_CODE } from '../cpu/instruction-code';
import { ISA, MNEMONICS, type Format, type Mnemonic } from '../isa/table';
import { iretToRing3, pagingOn } from './bare-metal';
import { uniprocessor } from './uniprocessor';
import type { Cpu } from '../cpu/cpu';
import { Pte } from '../mmu/pte';

/** The warm-up machine's page directory and table, and the first unmapped address. */
const PD = 0x100000;
const PT = 0x101000;
const HOLE = 0x380000;

/** Formats of the rows run in the generated ALU part (registers and immediates only). */
const ALU_FORMATS: ReadonlySet<Format> = new Set<Format>(['none', 'r', 'rr', 'rrr', 'ri', 'rri']);

/** One instance of a row with destination r4 and sources `b`, `c`, `imm`. */
const instance = (mn: Mnemonic, b: string, c: string, imm: number): string => {
  const forms: Partial<Record<Format, string>> = { none: mn, r: `${mn} r4`, rr: `${mn} r4, ${b}`, rrr: `${mn} r4, ${b}, ${c}`, ri: `${mn} r4, ${imm}`, rri: `${mn} r4, ${b}, ${imm}` };
  return forms[ISA[mn].format] ?? `${mn} ?`;
};

/** Innocuous rows that neither touch memory nor change control flow, in table order. */
const aluRows = (): Mnemonic[] =>
  MNEMONICS.filter((mn) => {
    const code = INSTRUCTION_CODE[mn];
    return code !== undefined && code.memory === 'none' && ISA[mn].flow === 'next' && ALU_FORMATS.has(ISA[mn].format);
  });

/** The ALU rows' three operand sets: sources and immediate (r1 = 0x7fffffff, r2 = 3, r3 = -5; no divisor is zero). */
const OPERAND_SETS: readonly (readonly [string, string, number])[] = [
  ['r1', 'r2', 3],
  ['r3', 'r1', 0x7fffffff],
  ['r2', 'r3', -7],
];

/** The ALU rows with each operand set. */
const aluPart = (): string[] => OPERAND_SETS.flatMap(([b, c, imm]) => aluRows().map((mn) => `        ${instance(mn, b, c, imm)}`));

/** Each conditional branch after five comparisons (less, greater, equal, signed and unsigned), taken and not. */
const branchPart = (): string[] => {
  const lines: string[] = [];
  let k = 0;
  for (const cmp of ['cmp r1, r2', 'cmp r2, r1', 'cmp r1, r1', 'cmp r3, r2', 'cmp r2, r3'])
    for (const mn of MNEMONICS.filter((m) => INSTRUCTION_CODE[m] !== undefined && ISA[m].flow === 'branch')) {
      // the first branch reads flags pending from the comparison, the second flags already computed
      lines.push(`        ${cmp}`, `        ${mn} br${k}`, '        nop', `br${k}:   ${mn} br${k + 1}`, '        nop', `br${k + 1}:`);
      k += 2;
    }
  return lines;
};

/** The memory rows of load and store format at `base + offset` (r4 the register operand). */
const memoryPart = (base: string, offsets: readonly number[]): string[] =>
  MNEMONICS.filter((mn) => INSTRUCTION_CODE[mn] !== undefined && INSTRUCTION_CODE[mn]!.memory !== 'none' && ['load', 'store'].includes(ISA[mn].format)).flatMap((mn, i) => {
    const at = `[${base}+0x${(offsets[i % offsets.length] >>> 0).toString(16)}]`;
    return [`        ${ISA[mn].format === 'store' ? `${mn} ${at}, r4` : `${mn} r4, ${at}`}`];
  });

/** The same rows, each made to raise a page fault at `base` (resumed after it). */
const faultingMemoryPart = (base: string): string[] =>
  memoryPart(base, [0]).flatMap((line, i) => [`        lea r14, mf${i}`, line, `mf${i}:`]);

/** The warm-up program's source (assembled at 0; ends by writing the power port). */
export const warmUpSource = (): string => {
  const kgate = gateFlags({ dpl: 0, ring: 0 });
  return `
        .equ PD, ${PD}
        .equ PT, ${PT}
        .equ DATA, 0x200000
        .equ HOLE, ${HOLE}
        .equ POWER, ${Port.power}
        li r8, 200                  ; V8 gives the burst its feedback vector only after it has run a
prime:  subi r8, r8, 1              ; while: the paths below must run after that to be recorded
        jnz prime
        li sp, 0x80000
        li r1, 0x7f000
        wrcr cr4, r1                ; ring 0's stack for events from ring 3
        li r1, IDT
        lidt r1
        li r13, 0                   ; the quick body: no ALU rows, branches or long miss loop
        call body                   ; paging off, ring 0
        ; the tables (mapWarmUpPages) map the first 3.5 MiB (user, writable); HOLE is not present${pagingOn(PD)}
        call body                   ; paging on, ring 0${iretToRing3({ label: 'user', sp: 0x90000, flags: 0x3000 })}
user:   li r13, 1                   ; the full body
        call body                   ; paging on, ring 3
        mov r9, sp                  ; the stack rows, faulting (in ring 3: the fault switches stacks)
        li sp, HOLE + 8
        lea r14, u1
        push r4
u1:     lea r14, u2
        pop r4
u2:     lea r14, u3
        call u3
u3:     lea r14, u4
        lea r4, u4
        callr r4
u4:     lea r14, u5
        ret
u5:     mov sp, r9
        lea r14, u6
        hlt                         ; #GP: privileged
u6:     out POWER, r0

body:   li r1, 0x7fffffff
        li r2, 3
        li r3, -5
        cmpi r13, 0
        jz q1
${aluPart().join('\n')}
q1:     li r5, 0
        lea r14, d1
        div r4, r1, r5              ; #DE
d1:     lea r14, d2
        rem r4, r1, r5
d2:     li r6, DATA
${memoryPart('r6', [0, 4, 1, 2, 8, 12]).join('\n')}
        push r4
        pop r4
        ; again, each on the page the access before it hit (the inline path's last-slot shortcut)
        ldb r4, [r6+0x10]
${memoryPart('r6', [0, 4, 1, 2, 8, 12]).join('\n')}
        push r4
        pop r4
        push r4
        call mret
        lea r4, mret
        callr r4
        pop r4
        ; each on the page of the hit before the last (the second remembered slot): the data
        ; page's rows and the stack's, each after a load from another page (the full body only:
        ; V8 marks the burst partway through the program, and these in the quick bodies too
        ; moved that before the ALU rows had run)
        cmpi r13, 0
        jz second
        li r10, DATA - 0x1000       ; the other page (not one the miss loop below touches)
        ld r5, [r6]
        ld r5, [r10]                ; filled (a miss), then hit
${memoryPart('r6', [0, 4, 8, 12]).flatMap((row) => ['        ld r5, [r10]', row]).join('\n')}
        push r4                     ; (puts the stack's page in the slots)
        ld r5, [r10]
        pop r4
        ld r5, [r10]
        push r4
        ld r5, [r10]
        call yret
        ld r5, [r10]
        lea r4, yret
        callr r4
        ld r5, [r10]
        pop r4
second:
${memoryPart('r6', [1, 3, 0x101, 0x103]).join('\n')}
        lea r14, s1
        ld r4, [r6+0xffe]           ; straddles two pages
s1:     lea r14, s2
        st [r6+0xffd], r4
s2:     li r7, DATA                 ; TLB misses: each access on a page not touched yet
        li r8, 1
        cmpi r13, 0
        jz q2
        li r8, 20
q2:     mov r9, sp
miss:
${memoryPart('r7', [0x1008, 0x2001, 0x3009, 0x4000, 0x5000, 0x6004]).join('\n')}
        addi sp, r7, 0x7010
        push r4
        addi sp, r7, 0x8010
        pop r4
        addi sp, r7, 0x9010
        call mret
        addi sp, r7, 0xa010
        lea r4, mret
        callr r4
        addi r7, r7, 0xb000
        subi r8, r8, 1
        jnz miss
        mov sp, r9
        jmp mdone
mret:   ret
yret:   ld r5, [r10]
        ret
mdone:  li r7, HOLE                 ; page faults (with paging off, plain accesses)
${faultingMemoryPart('r7').join('\n')}
        lea r14, x1
        .word 0xff000001            ; #UD: reserved bits
x1:     lea r14, x2
        .word 0                     ; #UD: unassigned opcode
x2:     lea r14, x3
        li r4, 0x1002
        jmpr r4                     ; #GP: misaligned fetch
x3:     lea r14, x4
        li r4, HOLE
        jmpr r4                     ; #PF on the fetch (paging off: #UD, the word there is 0)
x4:     cmpi r13, 0
        jz q3
${branchPart().join('\n')}
q3:
        lea r4, j1
        jmpr r4
        nop
j1:     jmp j2
        nop
j2:     call j3
        jmp j4
j3:     ret
j4:     lea r4, j5
        callr r4
        jmp j6
j5:     ret
j6:     call cross
        call flush
        ret
flush:  li r4, PD               ; the return misses the TLB (in ring 3 the write faults)
        lea r14, f1
        wrcr cr3, r4
f1:     ret

        .org 0x1ffc
cross:  li r4, 5                ; its immediate is on the next page
        ret

        .org 0x3000
noerror: st [sp], r14           ; resume at r14 (#DE, #UD: no error code)
        iret
error:  addi sp, sp, 4          ; #GP, #PF: drop the error code
        st [sp], r14
        iret

        .org 0x3800
IDT:    .word noerror, ${kgate}
        .org IDT + 6*8
        .word noerror, ${kgate}
        .org IDT + 13*8
        .word error, ${kgate}
        .word error, ${kgate}
`;
};

/**
 * Write the warm-up's page tables from the host: the first 3.5 MiB identity-mapped (user,
 * writable), HOLE and above not present. Filled by a guest loop, they were 4,500 of the
 * program's 6,600 instructions, all with paging off: V8 took the burst's feedback for its
 * first optimization before the parts with paging on and in ring 3 had run, and the first
 * real runs deoptimized it where they first did (the prologue's kept code page, the inline
 * path's last-slot shortcut in ring 3, the fetch's TLB slot).
 */
const mapWarmUpPages = (m: Cpu): void => {
  const flags = Pte.present | Pte.writable | Pte.user;
  for (let page = 0; page < HOLE >>> 12; page++) m.memory.write32(PT + page * 4, (page << 12) | flags);
  m.memory.write32(PD, PT | flags);
};

/** The scratch machine with the warm-up program and its page tables, ready to run (throws if the program does not assemble). */
export const warmUpMachine = (): Cpu => {
  const program = assemble(warmUpSource(), { file: 'warm-up.s' });
  if (isLeft(program)) throw new Error(`the interpreter's warm-up does not assemble:\n${program.left.map(formatAsmError).join('\n')}`);
  const m = uniprocessor({ memoryBytes: 4 << 20, engine: 'interp' });
  m.load(0, program.right.bytes);
  mapWarmUpPages(m);
  return m;
};

/**
 * Fields of the CPU and MMU that the burst reads (itself or in what V8 inlines into it),
 * written on the scratch machine before the warm-up runs and put back. V8 compiles the burst
 * with what it knows of each field: one never written since its object was made as a
 * constant, one that only ever held null as of that type. The first virtual machine that
 * wrote one (non-root mode, nested paging, the reserved-memory watch: every strategy but
 * native) deoptimized the burst, and V8 compiled it again: 150-240 ms on the second core
 * each time, running unoptimized meanwhile. What V8 knows of a field belongs to the shape of
 * its object, shared by every CPU and MMU: written here, these fields are as general as they
 * get before the first optimization. The watch is given objects of two shapes, so that its
 * type is any object (a guard of one class after one shape would generalize it again).
 */
const generalizeFields = (m: Cpu): void => {
  m.nonRoot = true;
  m.nonRoot = false;
  m.mmu.nestedRoot = 0;
  m.mmu.nestedRoot = -1;
  m.mmu.watch = { floor: 0, reached: () => undefined };
  m.mmu.watch = new (class {
    readonly floor = 0;
    reached(): void {}
  })();
  m.mmu.watch = null;
};

/** Instructions the warm-up may run (it runs about 1,500). */
const WARM_UP_BUDGET = 100_000;

let warmed = false;

/**
 * Run the warm-up once in this process (or worker thread): true if it ran now, false if it had
 * already. Throws if the program does not assemble or does not end by writing the power port
 * (an ISA change the program was not updated for: the tests catch it).
 */
export const warmUpInterpreter = (): boolean => {
  if (warmed) return false;
  warmed = true;
  const m = warmUpMachine();
  generalizeFields(m);
  const stop = m.run(WARM_UP_BUDGET);
  if (stop.kind !== 'shutdown') throw new Error(`the interpreter's warm-up stopped with ${stop.kind} at 0x${m.pc.toString(16)}${'detail' in stop ? `: ${stop.detail}` : ''}`);
  return true;
};
