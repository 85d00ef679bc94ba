/**
 * Benchmark guest programs for the interpreter: each sets up identity paging with user
 * pages, drops to ring 3 with IOPL 3 and runs its loop there, so every instruction pays for
 * address translation and privilege checks; it ends by writing the power port.
 * @category Bench
 */

/** Ring-0 prologue: identity-map the first 4 MiB (user, writable), paging on, IRET to `user` at ring 3. */
const PROLOGUE = `
        .equ PD, 0x100000
        .equ PT, 0x101000
        li r1, PT
        li r2, 0x7                  ; present | writable | user
        li r3, 1024
fill:   st [r1], r2
        addi r1, r1, 4
        addi r2, r2, 0x1000
        subi r3, r3, 1
        jnz fill
        li r1, PT | 0x7
        st [PD], r1
        li r1, PD
        wrcr cr3, r1
        li r1, 1
        wrcr cr0, r1
        li sp, 0x80000
        li r1, 0x80000
        push r1                     ; user sp
        li r1, 0x3000               ; IOPL 3, IF 0
        push r1
        li r1, 3
        push r1                     ; ring 3
        lea r1, user
        push r1
        iret
user:
`;

const EPILOGUE = `
        out 0xf4, r0
`;

/** A benchmark program: name, what it stresses, and its source for a given iteration count. */
export interface BenchProgram {
  readonly name: string;
  readonly description: string;
  readonly source: (n: number) => string;
}

/** The interpreter benchmarks. */
export const BENCH_PROGRAMS: readonly BenchProgram[] = [
  {
    name: 'compute',
    description: 'integer ALU loop (add, xor, shifts, compare, branch) in ring 3 with paging on',
    source: (n) => `${PROLOGUE}
        li r1, ${n}
        li r2, 1
        li r3, 0
loop:   add r3, r3, r2
        xor r2, r2, r3
        shli r4, r3, 3
        shri r5, r2, 2
        add r2, r4, r5
        subi r1, r1, 1
        jnz loop
${EPILOGUE}`,
  },
  {
    name: 'memory',
    description: 'loads and stores over a 16 KiB array (TLB hits) in ring 3 with paging on',
    source: (n) => `${PROLOGUE}
        li r1, ${n}
        li r6, 0x200000
loop:   andi r2, r1, 0xffc
        add r2, r2, r6
        ld r3, [r2]
        addi r3, r3, 1
        st [r2], r3
        ld r4, [r2+0x1000]
        add r4, r4, r3
        st [r2+0x2000], r4
        subi r1, r1, 1
        jnz loop
${EPILOGUE}`,
  },
  {
    name: 'pagewalk',
    description: 'one load per page over 1024 pages (a TLB miss and a two-reference walk per load)',
    source: (n) => `${PROLOGUE}
        li r1, ${n}
        li r6, 0
loop:   addi r6, r6, 0x1000
        andi r6, r6, 0x3ff000
        ld r3, [r6]
        add r4, r4, r3
        subi r1, r1, 1
        jnz loop
${EPILOGUE}`,
  },
];
