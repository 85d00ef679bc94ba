; shootdown - TLB shootdowns: the main thread maps a fresh heap page, writes it and unmaps it
; again, n times, while threads-1 other threads of the process run, reading a heap page of
; their own, until it is done. Each unmap changes a mapping of an address space that is live
; on other CPUs: the kernel flushes it there too (request IPIs, or the hypervisor's remote
; flush). The result {n, n} does not depend on the interleaving.
.include "../lib/user.s"
.include "../lib/threads.s"

main:
        MAIN_ENTER 5                    ; r8 = n
        mov r9, r2                      ; threads
        li r12, 1
        MARK_START
        li r10, 1
shootdown_spawn:
        cmp r10, r9
        jge shootdown_spawned
        li r2, shootdown_thread
        mov r3, r10
        call thread_spawn
        cmpi r1, 0
        jl shootdown_failed
        addi r10, r10, 1
        jmp shootdown_spawn
shootdown_spawned:
        li r10, 0                       ; remaps done
shootdown_loop:
        cmp r10, r8
        jge shootdown_done
        li r2, PAGE_SIZE
        SYSCALL SYS_SBRK
        cmpi r1, 0
        jl shootdown_failed
        st [r1], r10                    ; map it (a demand-zero fault) and write it
        ld r2, [r1]
        cmp r2, r10
        jnz shootdown_failed
        li r2, -PAGE_SIZE
        SYSCALL SYS_SBRK                ; unmap it: a shootdown where the others run
        cmpi r1, 0
        jl shootdown_failed
        addi r10, r10, 1
        jmp shootdown_loop
shootdown_failed:
        li r12, 0
shootdown_done:
        li r1, 1
        st [done], r1
        li r11, 1
shootdown_join:
        cmp r11, r9
        jge shootdown_joined
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl shootdown_bad_join
        addi r11, r11, 1
        jmp shootdown_join
shootdown_bad_join:
        li r12, 0
shootdown_joined:
        MARK_END
        PUT_RESULT r8, r10
        OUT_COUNT text_name, r10, text_with
        mov r2, r9
        call out_dec
        OUT_TEXT text_threads
        mov r2, r12
        call out_verdict
        MAIN_RETURN 5

; another thread: keep a page of the heap in its TLB (its stack) and spin until done,
; yielding its CPU after SPIN_LIMIT spins
shootdown_thread:
        li r3, SPIN_LIMIT
shootdown_spin:
        ld r1, [done]
        cmpi r1, 0
        jnz shootdown_thread_exit
        push r1
        pop r1
        pause
        subi r3, r3, 1
        jnz shootdown_spin
        SYSCALL SYS_YIELD
        jmp shootdown_thread
shootdown_thread_exit:
        li r2, 0
        SYSCALL SYS_EXIT

        .align 4
done:           .word 0
text_name:      .asciz "shootdown: "
text_with:      .asciz " remaps with "
text_threads:   .asciz " threads"
