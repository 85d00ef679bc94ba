; proc.s - processes: the table, creation of process 1, fork, exit, wait, sleep and
; wakeup, the round-robin scheduler and the context switch.
; Process state is shared with interrupt handlers (wakeup from the disk interrupt), so
; every change to it runs with interrupts disabled (IRQ_SAVE ... IRQ_RESTORE).

; proc_alloc() -> r1 = a process structure in state EMBRYO with a pid and a kernel stack, or 0
proc_alloc:
        IRQ_SAVE r7
        li r1, PROCS
        li r2, NPROC
proc_alloc_scan:
        ld r3, [r1+P_STATE]
        cmpi r3, PS_UNUSED
        jz proc_alloc_found
        addi r1, r1, P_SIZE
        subi r2, r2, 1
        jnz proc_alloc_scan
        li r1, 0
        jmp proc_alloc_done
proc_alloc_found:
        mov r2, r1
        li r3, P_SIZE
        call memzero
        li r2, PS_EMBRYO
        st [r1+P_STATE], r2
        ld r2, [next_pid]
        st [r1+P_PID], r2
        addi r2, r2, 1
        st [next_pid], r2
        ld r2, [nprocs_created]
        addi r2, r2, 1
        st [nprocs_created], r2
        ; slot i has the kernel stack KSTACKS + i * KSTACK_SIZE .. + KSTACK_SIZE
        subi r2, r1, PROCS
        shli r2, r2, 6                  ; i * 4096 = (i * 64) << 6
        addi r2, r2, KSTACKS + KSTACK_SIZE
        st [r1+P_KSTACK], r2
proc_alloc_done:
        IRQ_RESTORE r7
        ret

; proc_prepare_stack(r1 = process): below its trap frame (at the top of its kernel stack),
; a switch frame whose return address is trap_return, so its first swtch returns to user mode
proc_prepare_stack:
        ld r2, [r1+P_KSTACK]
        subi r2, r2, TF_SIZE + SWITCH_FRAME
        st [r1+P_KSP], r2
        mov r4, r2
        li r3, SWITCH_FRAME
        mov r2, r4
        call memzero
        li r3, trap_return
        st [r4+SWITCH_FRAME-4], r3
        ret

; proc_create_init(): process 1 from the program image in the boot info, r1 = n
proc_create_init:
        push r8
        push r9
        push r10
        push r11
        call proc_alloc
        mov r8, r1
        st [init_proc], r8
        st [r8+P_MM], r8
        call as_create
        cmpi r1, 0
        jz proc_create_nomem
        st [r8+P_PD], r1
        st [r8+P_PT], r2
        ; copy the image into fresh frames mapped user + writable from USER_BASE
        ld r9, [BOOT_INFO+BI_PROG_SIZE]
        li r1, PROG_MAX
        cmp r1, r9
        jb proc_create_bad_image
        li r10, 0                       ; offset
        PTE_BATCH_BEGIN
proc_create_copy:
        cmp r10, r9
        jae proc_create_copied
        call frame_alloc_zeroed
        cmpi r1, 0
        jz proc_create_nomem
        mov r11, r1
        addi r2, r11, PHYS_OFFSET
        ld r3, [BOOT_INFO+BI_PROG_ADDR]
        add r3, r3, r10
        addi r3, r3, PHYS_OFFSET
        sub r4, r9, r10
        cmpi r4, PAGE_SIZE
        jl proc_create_partial
        li r4, PAGE_SIZE
proc_create_partial:
        call memcpy
        ld r2, [r8+P_PT]
        shri r1, r10, 10
        add r2, r2, r1                  ; entry (offset / 4096) * 4
        ori r3, r11, PTE_P | PTE_W | PTE_U
        PTE_SET r2, r3
        addi r10, r10, PAGE_SIZE
        jmp proc_create_copy
proc_create_copied:
        PTE_BATCH_END
        addi r1, r10, USER_BASE
        st [r8+P_HEAP], r1
        st [r8+P_BRK], r1
        ; the trap frame of its first entry to user mode
        ld r2, [r8+P_KSTACK]
        subi r2, r2, TF_SIZE
        mov r9, r2
        li r3, TF_SIZE
        call memzero
        li r1, USER_BASE
        st [r9+TF_PC], r1
        li r1, 3
        st [r9+TF_CS], r1
        li r1, FL_IF
        st [r9+TF_FLAGS], r1
        li r1, STACK_TOP
        st [r9+TF_SP], r1
        ld r1, [boot_param]
        st [r9+TF_R1], r1
        ld r1, [BOOT_INFO+BI_THREADS]
        st [r9+TF_R2], r1
        mov r1, r8
        call proc_prepare_stack
        li r1, PS_RUNNABLE
        st [r8+P_STATE], r1
        pop r11
        pop r10
        pop r9
        pop r8
        ret
proc_create_nomem:
        li r1, msg_no_memory
        jmp panic
proc_create_bad_image:
        li r1, msg_bad_image
        jmp panic

; proc_start_first(): run process 1 (never returns)
proc_start_first:
        ld r9, [init_proc]
        THIS_CPU r8
        st [r8+PC_CUR], r9
        li r1, PS_RUNNING
        st [r9+P_STATE], r1
        call switch_mm_stack
        ld sp, [r9+P_KSP]
        jmp swtch_restore

; proc_fork(r5 = the parent's trap frame) -> r1 = child pid, or a negative error
proc_fork:
        push r8
        push r9
        push r10
        mov r10, r5
        call proc_alloc
        cmpi r1, 0
        jz proc_fork_noproc
        mov r8, r1
        CUR_PROC r9
        st [r8+P_PARENT], r9
        st [r8+P_MM], r8
        call as_create
        cmpi r1, 0
        jz proc_fork_nomem_slot
        st [r8+P_PD], r1
        st [r8+P_PT], r2
        mov r1, r9
        mov r2, r8
        call as_copy_user
        cmpi r1, 0
        jnz proc_fork_nomem_as
        ld r1, [r9+P_HEAP]
        st [r8+P_HEAP], r1
        ld r1, [r9+P_BRK]
        st [r8+P_BRK], r1
        ; the child returns from the same system call with r1 = 0
        ld r2, [r8+P_KSTACK]
        subi r2, r2, TF_SIZE
        mov r3, r10
        li r4, TF_SIZE
        call memcpy
        ld r2, [r8+P_KSTACK]
        st [r2+TF_R1-TF_SIZE], r0
        mov r1, r8
        call proc_prepare_stack
        mov r1, r8
        call proc_make_runnable
        ld r1, [r8+P_PID]
        jmp proc_fork_done
proc_fork_nomem_as:
        mov r1, r8
        call as_destroy
proc_fork_nomem_slot:
        st [r8+P_STATE], r0
        li r1, ENOMEM
        jmp proc_fork_done
proc_fork_noproc:
        li r1, EAGAIN
proc_fork_done:
        pop r10
        pop r9
        pop r8
        ret

; proc_exit(r1 = exit code): never returns. Process 1 ends the machine: the kernel writes
; the result page and powers off with its exit code.
proc_exit:
        CUR_PROC r8
        st [r8+P_EXIT], r1
        ld r2, [init_proc]
        cmp r8, r2
        jz proc_exit_init
        ; a thread leaves the address space to its leader; a leader waits for its threads
        ld r2, [r8+P_MM]
        cmp r2, r8
        jnz proc_exit_thread
        IRQ_DISABLE r1
proc_exit_threads:
        ld r1, [r8+P_NTHREADS]
        cmpi r1, 0
        jz proc_exit_leader
        mov r1, r8
        call sleep
        jmp proc_exit_threads
proc_exit_leader:
        ; leave the address space for the kernel's before freeing it
        li r1, KPD
        THIS_CPU r2
        st [r2+PC_MM], r1
        LOAD_CR3 r1
        mov r1, r8
        call as_destroy
        jmp proc_exit_common
proc_exit_thread:
        IRQ_DISABLE r1
        ld r1, [r2+P_NTHREADS]
        subi r1, r1, 1
        st [r2+P_NTHREADS], r1
        mov r1, r2
        call wakeup
proc_exit_common:
        IRQ_SAVE r7
        ; children go to process 1
        li r2, PROCS
        li r3, NPROC
        ld r4, [init_proc]
proc_exit_reparent:
        ld r5, [r2+P_STATE]
        cmpi r5, PS_UNUSED
        jz proc_exit_reparent_next
        ld r5, [r2+P_PARENT]
        cmp r5, r8
        jnz proc_exit_reparent_next
        st [r2+P_PARENT], r4
proc_exit_reparent_next:
        addi r2, r2, P_SIZE
        subi r3, r3, 1
        jnz proc_exit_reparent
        li r1, PS_ZOMBIE
        st [r8+P_STATE], r1
        ld r1, [r8+P_PARENT]
        call wakeup
        ld r1, [init_proc]              ; it may inherit zombies
        call wakeup
        call schedule
        li r1, msg_zombie
        jmp panic
proc_exit_init:
        st [RESULT+RES_EXIT], r1
        ld r2, [nprocs_created]
        st [RESULT+RES_NPROCS], r2
        POWER_OFF r1
proc_exit_hang:
        jmp proc_exit_hang

; sys_wait(r5 = trap frame) -> r1 = pid of an exited child (its exit code in the caller's
; r2), or -1 without children. Blocks until a child exits.
sys_wait:
        push r8
        push r9
        mov r9, r5
        IRQ_SAVE r7
sys_wait_scan:
        CUR_PROC r8
        li r2, PROCS
        li r3, NPROC
        li r6, 0                        ; children seen
sys_wait_loop:
        ld r5, [r2+P_STATE]
        cmpi r5, PS_UNUSED
        jz sys_wait_next
        ld r4, [r2+P_PARENT]
        cmp r4, r8
        jnz sys_wait_next
        li r6, 1
        cmpi r5, PS_ZOMBIE
        jz sys_wait_reap
sys_wait_next:
        addi r2, r2, P_SIZE
        subi r3, r3, 1
        jnz sys_wait_loop
        cmpi r6, 0
        jz sys_wait_none
        mov r1, r8
        call sleep
        jmp sys_wait_scan
sys_wait_reap:
        ld r1, [r2+P_EXIT]
        st [r9+TF_R2], r1
        ld r1, [r2+P_PID]
        st [r2+P_STATE], r0
        jmp sys_wait_done
sys_wait_none:
        li r1, -1
sys_wait_done:
        IRQ_RESTORE r7
        pop r9
        pop r8
        ret

; sleep(r1 = channel): with interrupts disabled; returns after a wakeup of that channel
sleep:
        CUR_PROC r2
        st [r2+P_CHAN], r1
        li r3, PS_SLEEPING
        st [r2+P_STATE], r3
        call schedule
        CUR_PROC r2
        st [r2+P_CHAN], r0
        ret

; wakeup(r1 = channel): every process sleeping on it becomes runnable. Clobbers r2-r4.
wakeup:
        IRQ_SAVE r4
        li r2, PROCS
wakeup_loop:
        ld r3, [r2+P_STATE]
        cmpi r3, PS_SLEEPING
        jnz wakeup_next
        ld r3, [r2+P_CHAN]
        cmp r3, r1
        jnz wakeup_next
        li r3, PS_RUNNABLE
        st [r2+P_STATE], r3
        call kick
wakeup_next:
        addi r2, r2, P_SIZE
        li r3, PROCS + NPROC * P_SIZE
        cmp r2, r3
        jb wakeup_loop
        IRQ_RESTORE r4
        ret

; yield(): give up the processor
yield:
        IRQ_SAVE r7
        THIS_CPU r1
        st [r1+PC_RESCHED], r0
        ld r1, [r1+PC_CUR]
        li r2, PS_RUNNABLE
        st [r1+P_STATE], r2
        call schedule
        IRQ_RESTORE r7
        ret

; schedule(): with interrupts disabled, the kernel lock held once and the current process's
; state already set, run the next runnable process of this CPU's queue in round-robin order
; (possibly the current one), else one from another CPU's queue; with none, switch to this
; CPU's idle context (smp.s), which resumes the process once it is runnable again.
schedule:
        push r8
        push r9
        push r10
        CUR_PROC r8
        call pick_next
        mov r9, r1
        cmpi r9, 0
        jz schedule_idle
        cmp r9, r8
        jz schedule_done
        addi r1, r8, P_KSP
        call switch_to
        jmp schedule_done
schedule_idle:
        addi r1, r8, P_KSP
        THIS_CPU r2
        ld r2, [r2+PC_IDLE_SP]
        call swtch
schedule_done:
        pop r10
        pop r9
        pop r8
        ret

; pick_next() -> r1 = the next process for this CPU, marked running and on this CPU's queue,
; or 0: the first runnable one of its own queue after the current process, else the first
; runnable one queued on a busy CPU (a migration). Clobbers r2.
pick_next:
        push r8
        push r9
        push r10
        rdpid r8
        CUR_PROC r9
        cmpi r9, 0
        jnz pick_next_own
        li r9, PROCS + (NPROC - 1) * P_SIZE     ; idle: start at the first slot
pick_next_own:
        mov r2, r9
        li r10, NPROC
pick_next_own_next:
        addi r2, r2, P_SIZE
        li r1, PROCS + NPROC * P_SIZE
        cmp r2, r1
        jb pick_next_own_check
        li r2, PROCS
pick_next_own_check:
        ld r1, [r2+P_STATE]
        cmpi r1, PS_RUNNABLE
        jnz pick_next_own_skip
        ld r1, [r2+P_CPU]
        cmp r1, r8
        jz pick_next_found
pick_next_own_skip:
        subi r10, r10, 1
        jnz pick_next_own_next
        li r2, PROCS
        li r10, NPROC
pick_next_any:
        ld r1, [r2+P_STATE]
        cmpi r1, PS_RUNNABLE
        jnz pick_next_any_skip
        ; only from a busy CPU: an idle one was woken to run it (kick)
        ld r1, [r2+P_CPU]
        shli r1, r1, PC_SHIFT
        ld r1, [r1+PERCPU+PC_CUR]
        cmpi r1, 0
        jnz pick_next_steal
pick_next_any_skip:
        addi r2, r2, P_SIZE
        subi r10, r10, 1
        jnz pick_next_any
        li r1, 0
        jmp pick_next_done
pick_next_steal:
        st [r2+P_CPU], r8
        ld r1, [migrations]
        addi r1, r1, 1
        st [migrations], r1
pick_next_found:
        li r1, PS_RUNNING
        st [r2+P_STATE], r1
        mov r1, r2
pick_next_done:
        pop r10
        pop r9
        pop r8
        ret

; switch_to(r1 = where to save this context's stack pointer, r9 = next process): run it on
; this CPU; returns when this context is resumed
switch_to:
        push r1
        THIS_CPU r1
        st [r1+PC_CUR], r9
        call switch_mm_stack
        pop r1
        ld r2, [r9+P_KSP]
        jmp swtch

; switch_mm_stack(r9 = next process): its page directory, if this CPU has another loaded,
; and its kernel stack for traps from user mode. Clobbers r1-r4.
switch_mm_stack:
        ld r2, [r9+P_PD]
        ld r3, [r9+P_KSTACK]
        THIS_CPU r4
        ld r1, [r4+PC_MM]
        cmp r1, r2
        jz switch_mm_same
        st [r4+PC_MM], r2
        SWITCH_MM_AND_STACK r2, r3
        ret
switch_mm_same:
        SET_KSTACK r3
        ret

; proc_make_runnable(r1 = new process): on the next CPU's run queue, runnable; wake that
; CPU if it idles. Clobbers r1-r3.
proc_make_runnable:
        IRQ_SAVE r7
        mov r2, r1
        call assign_cpu
        li r1, PS_RUNNABLE
        st [r2+P_STATE], r1
        call kick
        IRQ_RESTORE r7
        ret

; proc_clone(r2 = entry, r3 = user stack top, r4 = argument, r5 = trap frame) -> r1 = the new
; thread's pid, or a negative error. The thread shares the caller's address space (its
; leader's), starts at entry with sp = stack top and r1 = argument, and is a child of the
; caller (wait() reaps it). The leader's exit waits for its threads.
proc_clone:
        push r8
        push r9
        push r10
        push r11
        push r12
        mov r10, r5
        mov r11, r2
        mov r12, r3
        push r4
        call proc_alloc
        pop r4
        cmpi r1, 0
        jz proc_clone_noproc
        mov r8, r1
        CUR_PROC r9
        st [r8+P_PARENT], r9
        ld r9, [r9+P_MM]
        st [r8+P_MM], r9
        ld r1, [r9+P_PD]
        st [r8+P_PD], r1
        ld r1, [r9+P_PT]
        st [r8+P_PT], r1
        ld r1, [r9+P_NTHREADS]
        addi r1, r1, 1
        st [r9+P_NTHREADS], r1
        ; its first entry to user mode: the caller's frame with pc, sp and r1 replaced
        ld r2, [r8+P_KSTACK]
        subi r2, r2, TF_SIZE
        mov r9, r2
        push r4
        mov r3, r10
        li r4, TF_SIZE
        call memcpy
        pop r4
        st [r9+TF_PC], r11
        st [r9+TF_SP], r12
        st [r9+TF_R1], r4
        mov r1, r8
        call proc_prepare_stack
        mov r1, r8
        call proc_make_runnable
        ld r1, [r8+P_PID]
        jmp proc_clone_done
proc_clone_noproc:
        li r1, EAGAIN
proc_clone_done:
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        ret

; swtch(r1 = where to save the current stack pointer, r2 = stack pointer to resume):
; the callee-saved registers and the return address stay on each kernel stack
swtch:
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
swtch_save:
        st [r1], sp
        mov sp, r2
swtch_restore:
        pop r14
        pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        ret
