; threads.s - threads and synchronisation for the parallel workloads: spawn (clone with a
; stack from the heap), a test-and-test-and-set spinlock with the spin-wait hint, an atomic
; add, and a barrier. A waiter spins with PAUSE at most SPIN_LIMIT times, then yields its CPU
; (spin-then-yield, as user-level locks do), so more threads than CPUs still make progress.
; Include after user.s.

.equ SYS_CLONE,       14      ; (entry, stack top, argument) -> thread pid
.equ SYS_NCPUS,       15      ; () -> CPUs the kernel started
.equ SPIN_LIMIT,      1000

; thread_spawn(r2 = entry, r3 = argument) -> r1 = its pid, or negative. The thread starts at
; entry with r1 = argument on a stack of its own (one heap page) and ends with SYS_EXIT; it
; is a child of the caller (SYS_WAIT reaps it). Clobbers r2-r4.
thread_spawn:
        push r8
        push r9
        mov r8, r2
        mov r9, r3
        li r2, PAGE_SIZE
        SYSCALL SYS_SBRK
        cmpi r1, 0
        jl thread_spawn_done
        addi r3, r1, PAGE_SIZE
        mov r2, r8
        mov r4, r9
        SYSCALL SYS_CLONE
thread_spawn_done:
        pop r9
        pop r8
        ret

; spin_lock(r2 = lock word). Clobbers r1.
spin_lock:
        push r3
spin_lock_retry:
        li r3, SPIN_LIMIT
spin_lock_try:
        li r1, 1
        xchg r1, [r2]
        cmpi r1, 0
        jz spin_lock_got
spin_lock_wait:
        pause
        subi r3, r3, 1
        jz spin_lock_yield
        ld r1, [r2]
        cmpi r1, 0
        jnz spin_lock_wait
        jmp spin_lock_try
spin_lock_yield:
        push r2
        SYSCALL SYS_YIELD
        pop r2
        jmp spin_lock_retry
spin_lock_got:
        pop r3
        ret

; spin_unlock(r2 = lock word)
spin_unlock:
        st [r2], r0
        ret

; atomic_add(r2 = address, r3 = value) -> r1 = the new value
atomic_add:
        push r4
atomic_add_retry:
        ld r1, [r2]
        add r4, r1, r3
        cmpxchg r4, [r2]
        jnz atomic_add_retry
        mov r1, r4
        pop r4
        ret

; barrier_wait(r2 = barrier {count, generation}, r3 = parties): return when all parties
; have arrived. Clobbers r1-r3.
barrier_wait:
        push r4
        push r5
        push r6
        mov r6, r2
        ld r5, [r6+4]                   ; the generation this wait belongs to
        push r3
        li r3, 1
        call atomic_add
        pop r3
        cmp r1, r3
        jnz barrier_spin
        st [r6], r0                     ; the last one resets the count, then releases the others
        addi r5, r5, 1
        st [r6+4], r5
        jmp barrier_done
barrier_spin:
        li r4, SPIN_LIMIT
barrier_spin_loop:
        ld r1, [r6+4]
        cmp r1, r5
        jnz barrier_done
        pause
        subi r4, r4, 1
        jnz barrier_spin_loop
        SYSCALL SYS_YIELD
        jmp barrier_spin
barrier_done:
        pop r6
        pop r5
        pop r4
        ret
