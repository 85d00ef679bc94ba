/**
 * Benchmark guest programs for the interpreter: each sets up identity paging with user
 * pages, drops to ring 3 with IOPL 3 and runs its loop there, so every instruction pays for
 * address translation and privilege checks; it ends by writing the power port.
 * @category Bench
 */
import { identityPagingOn, iretToRing3 } from '../../core/platform/bare-metal';

/** Ring-0 prologue: identity-map the first 4 MiB (user, writable), paging on, IRET to `user` at ring 3 with IOPL 3. */
const PROLOGUE = `${identityPagingOn({ pd: 0x100000, pt: 0x101000, pages: 1024 })}
        li sp, 0x80000${iretToRing3({ label: 'user', sp: 0x80000, flags: 0x3000 })}
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
