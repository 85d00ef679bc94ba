; hash.s - the deterministic computations shared by the CPU-bound workloads. Each has a
; reference implementation in core/guest/boot.ts (the expected output is computed from it).

        .align 4
.equ FNV_OFFSET,  0x811c9dc5
.equ FNV_PRIME,   16777619
.equ SIEVE_MAX,   2048

; fnv_mix(r2 = hash, r3 = value) -> r1 = (hash ^ value) * FNV_PRIME
fnv_mix:
        xor r1, r2, r3
        muli r1, r1, FNV_PRIME
        ret

; xorshift32(r2 = state) -> r1 = next state (13, 17, 5). Clobbers r3.
xorshift32:
        shli r3, r2, 13
        xor r1, r2, r3
        shri r3, r1, 17
        xor r1, r1, r3
        shli r3, r1, 5
        xor r1, r1, r3
        ret

; mix_steps(r2 = hash, r3 = state, r4 = steps) -> r1 = hash, r2 = state after `steps` rounds
; of: state = xorshift32(state); hash = fnv_mix(hash, state & 0xffff)
mix_steps:
        push r8
        push r9
        push r10
        mov r8, r2
        mov r9, r3
        mov r10, r4
mix_steps_loop:
        cmpi r10, 0
        jle mix_steps_done
        mov r2, r9
        call xorshift32
        mov r9, r1
        mov r2, r8
        andi r3, r9, 0xffff
        call fnv_mix
        mov r8, r1
        subi r10, r10, 1
        jmp mix_steps_loop
mix_steps_done:
        mov r1, r8
        mov r2, r9
        pop r10
        pop r9
        pop r8
        ret

; sieve(r2 = limit <= SIEVE_MAX) -> r1 = number of primes below limit (Eratosthenes on bytes)
sieve:
        push r8
        mov r8, r2
        li r1, 1
        li r3, 2
sieve_fill:
        cmp r3, r8
        jge sieve_filled
        stb [r3+sieve_bytes], r1
        addi r3, r3, 1
        jmp sieve_fill
sieve_filled:
        li r3, 2                        ; p
sieve_outer:
        mul r4, r3, r3
        cmp r4, r8
        jge sieve_count
        ldb r1, [r3+sieve_bytes]
        cmpi r1, 0
        jz sieve_next_p
sieve_inner:
        cmp r4, r8
        jge sieve_next_p
        stb [r4+sieve_bytes], r0
        add r4, r4, r3
        jmp sieve_inner
sieve_next_p:
        addi r3, r3, 1
        jmp sieve_outer
sieve_count:
        li r1, 0
        li r3, 2
sieve_count_loop:
        cmp r3, r8
        jge sieve_done
        ldb r4, [r3+sieve_bytes]
        add r1, r1, r4
        addi r3, r3, 1
        jmp sieve_count_loop
sieve_done:
        pop r8
        ret

sieve_bytes:    .space SIEVE_MAX
        .align 4
