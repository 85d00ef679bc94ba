; spinlock - a contended spinlock counter: `threads` threads (the main thread and threads-1
; clones sharing its memory) each take the lock n times and increment a shared counter
; inside it. The counter must come out threads * n whatever the interleaving.
; Other system calls: mark x2, sbrk and clone per extra thread, wait per extra thread,
; write, result, exit.
.include "../lib/user.s"
.include "../lib/threads.s"

main:
        MAIN_ENTER 5                    ; r8 = n
        mov r9, r2                      ; threads
        st [iterations], r8
        li r12, 1                       ; ok
        MARK_START
        li r10, 1
spinlock_spawn:
        cmp r10, r9
        jge spinlock_spawned
        li r2, spinlock_thread
        mov r3, r10
        call thread_spawn
        cmpi r1, 0
        jl spinlock_failed
        addi r10, r10, 1
        jmp spinlock_spawn
spinlock_spawned:
        call spinlock_work
        li r10, 1
spinlock_join:
        cmp r10, r9
        jge spinlock_joined
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl spinlock_failed
        addi r10, r10, 1
        jmp spinlock_join
spinlock_failed:
        li r12, 0
spinlock_joined:
        MARK_END
        ld r11, [counter]
        mul r1, r8, r9
        cmp r11, r1
        jz spinlock_report
        li r12, 0
spinlock_report:
        PUT_RESULT r8, r11
        OUT_COUNT text_name, r9, text_threads
        mov r2, r8
        call out_dec
        OUT_TEXT text_counter
        mov r2, r11
        call out_dec
        mov r2, r12
        call out_verdict
        MAIN_RETURN 5

spinlock_thread:
        call spinlock_work
        li r2, 0
        SYSCALL SYS_EXIT

; n times: lock, counter += 1, unlock
spinlock_work:
        push r8
        ld r8, [iterations]
spinlock_work_loop:
        cmpi r8, 0
        jz spinlock_work_done
        li r2, lock
        call spin_lock
        ld r1, [counter]
        addi r1, r1, 1
        st [counter], r1
        li r2, lock
        call spin_unlock
        subi r8, r8, 1
        jmp spinlock_work_loop
spinlock_work_done:
        pop r8
        ret

        .align 4
lock:           .word 0
counter:        .word 0
iterations:     .word 0
text_name:      .asciz "spinlock: "
text_threads:   .asciz " threads x "
text_counter:   .asciz " increments, counter "
