; pcompute - parallel compute with a barrier: `threads` threads each hash their share of n
; items (item i, for i = t, t + threads, ...: 16 xorshift rounds from i + 1) into a partial
; sum, wait at a barrier, then each adds up every partial sum. Every thread must arrive at
; the same total, which does not depend on how the threads interleave.
.include "../lib/user.s"
.include "../lib/threads.s"

main:
        MAIN_ENTER 5                    ; r8 = n
        mov r9, r2                      ; threads
        st [nthreads], r9
        st [nitems], r8
        li r12, 1
        MARK_START
        li r10, 1
pcompute_spawn:
        cmp r10, r9
        jge pcompute_spawned
        li r2, pcompute_thread
        mov r3, r10
        call thread_spawn
        cmpi r1, 0
        jl pcompute_failed
        addi r10, r10, 1
        jmp pcompute_spawn
pcompute_spawned:
        li r1, 0
        call pcompute_work
        mov r11, r1
        li r10, 1
pcompute_join:
        cmp r10, r9
        jge pcompute_check
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl pcompute_failed
        addi r10, r10, 1
        jmp pcompute_join
pcompute_check:
        ; every thread's total is the main thread's
        li r10, 0
pcompute_check_loop:
        cmp r10, r9
        jge pcompute_done
        shli r1, r10, 2
        ld r1, [r1+totals]
        cmp r1, r11
        jnz pcompute_failed
        addi r10, r10, 1
        jmp pcompute_check_loop
pcompute_failed:
        li r12, 0
pcompute_done:
        MARK_END
        PUT_RESULT r8, r11
        REPORT_HEX text_name, r8, text_what, r11, r12
        MAIN_RETURN 5

pcompute_thread:
        call pcompute_work
        li r2, 0
        SYSCALL SYS_EXIT

; pcompute_work(r1 = thread index) -> r1 = the total
pcompute_work:
        push r8
        push r9
        push r10
        push r11
        mov r8, r1
        li r10, 0
        mov r9, r8
pcompute_items:
        ld r1, [nitems]
        cmp r9, r1
        jge pcompute_items_done
        addi r3, r9, 1
        li r4, 16
pcompute_hash:
        shli r5, r3, 13
        xor r3, r3, r5
        shri r5, r3, 17
        xor r3, r3, r5
        shli r5, r3, 5
        xor r3, r3, r5
        subi r4, r4, 1
        jnz pcompute_hash
        add r10, r10, r3
        ld r1, [nthreads]
        add r9, r9, r1
        jmp pcompute_items
pcompute_items_done:
        shli r1, r8, 2
        st [r1+partials], r10
        li r2, barrier
        ld r3, [nthreads]
        call barrier_wait
        li r11, 0
        li r9, 0
pcompute_sum:
        ld r1, [nthreads]
        cmp r9, r1
        jge pcompute_sum_done
        shli r1, r9, 2
        ld r1, [r1+partials]
        add r11, r11, r1
        addi r9, r9, 1
        jmp pcompute_sum
pcompute_sum_done:
        shli r1, r8, 2
        st [r1+totals], r11
        mov r1, r11
        pop r11
        pop r10
        pop r9
        pop r8
        ret

        .align 4
nthreads:       .word 0
nitems:         .word 0
barrier:        .word 0, 0
partials:       .space 64
totals:         .space 64
text_name:      .asciz "pcompute: "
text_what:      .asciz " items, checksum "
