; compute - CPU-bound user code, no system calls in the measured loop. Round r:
; count the primes below 1000 + 4 * (r & 255) with a sieve, mix the count into an FNV-1a
; hash, then 64 xorshift steps mixed into the hash. Result: the hash. Self-check: the first
; round finds the 168 primes below 1000.
.include "../lib/user.s"

main:
        MAIN_ENTER 5                    ; r8 = n
        li r10, FNV_OFFSET              ; hash
        li r11, 0x12345678              ; xorshift state
        li r12, 0                       ; ok
        MARK_START
        li r9, 0
compute_round:
        cmp r9, r8
        jge compute_done
        andi r2, r9, 255
        shli r2, r2, 2
        addi r2, r2, 1000
        call sieve
        cmpi r9, 0
        jnz compute_mix
        cmpi r1, 168
        jnz compute_mix
        li r12, 1
compute_mix:
        mov r2, r10
        mov r3, r1
        call fnv_mix
        mov r2, r1
        mov r3, r11
        li r4, 64
        call mix_steps
        mov r10, r1
        mov r11, r2
        addi r9, r9, 1
        jmp compute_round
compute_done:
        MARK_END
        cmpi r8, 0
        jnz compute_report
        li r12, 1                       ; nothing to check
compute_report:
        PUT_RESULT r8, r10
        REPORT_HEX text_name, r8, text_what, r10, r12
        MAIN_RETURN 5

text_name:      .asciz "compute: "
text_what:      .asciz " rounds, checksum "

.include "../lib/hash.s"
