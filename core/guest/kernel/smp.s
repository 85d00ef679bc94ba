; smp.s - multiprocessor support: per-CPU data, the kernel lock, requests between CPUs (TLB
; shootdowns, pings), waking idle CPUs, and the start of the secondary CPUs.
;
; The kernel is serialised by one lock, the "big kernel lock" of Linux 2.0-2.4: a CPU takes
; it on every entry to the kernel (trap_common) and drops it on the way out (trap_return),
; recursively for interrupts nested in a system call; a CPU's idle loop drops it while it
; waits. A CPU spinning for the lock serves the requests other CPUs posted for it (PC_CALL),
; so the holder may wait for another CPU's answer (a TLB shootdown) without deadlock.
; Each CPU has a run queue (the processes whose P_CPU is that CPU); an idle CPU takes a
; runnable process from another's queue (a migration).

; rd = this CPU's per-CPU block
.macro THIS_CPU rd
        rdpid \rd
        shli \rd, \rd, PC_SHIFT
        addi \rd, \rd, PERCPU
.endm

; rd = the running process
.macro CUR_PROC rd
        THIS_CPU \rd
        ld \rd, [\rd+PC_CUR]
.endm

; rd = the process that owns the running process's address space (itself, or its thread leader)
.macro CUR_MM rd
        CUR_PROC \rd
        ld \rd, [\rd+P_MM]
.endm

; klock_acquire(): take the kernel lock, or nest in it if this CPU holds it. Clobbers r1-r3.
klock_acquire:
        THIS_CPU r2
        ld r3, [r2+PC_DEPTH]
        cmpi r3, 0
        jnz klock_nest
klock_spin:
        li r3, 1
        xchg r3, [klock]
        cmpi r3, 0
        jz klock_nest
        call call_serve
        pause
        jmp klock_spin
klock_nest:
        ld r3, [r2+PC_DEPTH]
        addi r3, r3, 1
        st [r2+PC_DEPTH], r3
        ret

; klock_release(): leave one level of the kernel lock; the last frees it. Clobbers r2, r3.
klock_release:
        THIS_CPU r2
        ld r3, [r2+PC_DEPTH]
        subi r3, r3, 1
        st [r2+PC_DEPTH], r3
        jnz klock_release_done
        st [klock], r0
klock_release_done:
        ret

; call_serve(r2 = this CPU's block): answer a request another CPU posted (flush the page, or
; just acknowledge a ping). Keeps r2; clobbers r1, r3.
call_serve:
        ld r3, [r2+PC_CALL]
        cmpi r3, 0
        jz call_serve_done
        ld r3, [r2+PC_CALL_VA]
        cmpi r3, -1
        jz call_serve_ack
        TLB_FLUSH_PAGE r3
call_serve_ack:
        ld r3, [r2+PC_CALLS]
        addi r3, r3, 1
        st [r2+PC_CALLS], r3
        st [r2+PC_CALL], r0
call_serve_done:
        ret

; the request IPI: served here if the lock's spin loop has not served it already
call_irq:
        li r1, IRQ_CALL
        EOI r1
        THIS_CPU r2
        jmp call_serve

; the reschedule IPI: a process was queued here while this CPU idled or ran another
resched_irq:
        li r1, IRQ_RESCHED
        EOI r1
        THIS_CPU r2
        li r1, 1
        st [r2+PC_RESCHED], r1
        ret

; call_post(r4 = CPU, r5 = page or -1): post a request to another CPU and send it the request
; IPI. Clobbers r1, r6, r7.
call_post:
        shli r6, r4, PC_SHIFT
        addi r6, r6, PERCPU
        st [r6+PC_CALL_VA], r5
        li r7, 1
        st [r6+PC_CALL], r7
        li r7, IRQ_CALL
        SEND_IPI r4, r7
        ret

; call_wait(r4 = CPU): wait until it answered. Clobbers r6, r7.
call_wait:
        shli r6, r4, PC_SHIFT
        addi r6, r6, PERCPU
call_wait_spin:
        ld r7, [r6+PC_CALL]
        cmpi r7, 0
        jz call_wait_done
        pause
        jmp call_wait_spin
call_wait_done:
        ret

; tlb_shootdown(r1 = virtual address): after this CPU changed a mapping of the current
; address space and flushed its own TLB entry, flush it on every other CPU that has the
; address space loaded (threads of the process running there). Natively: a request IPI to
; each, then wait for their answers; paravirtual: one remote-flush hypercall (Xen's
; mmuext_op TLB_FLUSH_MULTI), which the hypervisor completes itself.
tlb_shootdown:
        push r8
        push r9
        push r10
        push r11
        mov r10, r1
        CUR_PROC r8
        ld r8, [r8+P_PD]
        rdpid r9
        ld r11, [ncpus]
        li r4, 0
        li r3, 0                        ; mask of the CPUs concerned
tlb_shootdown_scan:
        cmp r4, r11
        jae tlb_shootdown_send
        cmp r4, r9
        jz tlb_shootdown_next
        shli r6, r4, PC_SHIFT
        ld r6, [r6+PERCPU+PC_MM]
        cmp r6, r8
        jnz tlb_shootdown_next
        li r6, 1
        shl r6, r6, r4
        or r3, r3, r6
tlb_shootdown_next:
        addi r4, r4, 1
        jmp tlb_shootdown_scan
tlb_shootdown_send:
        cmpi r3, 0
        jz tlb_shootdown_done
        FLUSH_OTHERS r3, r10
tlb_shootdown_done:
        pop r11
        pop r10
        pop r9
        pop r8
        ret

.ifndef PARAVIRT
; flush_others_ipi(r3 = CPU mask, r10 = page): request IPIs, then wait for every answer
flush_others_ipi:
        push r3
        mov r5, r10
        li r4, 0
flush_others_post:
        cmpi r3, 0
        jz flush_others_wait
        andi r6, r3, 1
        jz flush_others_post_next
        call call_post
flush_others_post_next:
        shri r3, r3, 1
        addi r4, r4, 1
        jmp flush_others_post
flush_others_wait:
        pop r3
        li r4, 0
flush_others_wait_next:
        cmpi r3, 0
        jz flush_others_done
        andi r6, r3, 1
        jz flush_others_wait_skip
        call call_wait
flush_others_wait_skip:
        shri r3, r3, 1
        addi r4, r4, 1
        jmp flush_others_wait_next
flush_others_done:
        ret
.endif

; kick(r2 = process just made runnable): if its CPU idles, wake it with a reschedule IPI.
; Keeps every register but r1.
kick:
        push r3
        push r4
        push r5
        ld r3, [r2+P_CPU]
        rdpid r4
        cmp r3, r4
        jz kick_done
        shli r5, r3, PC_SHIFT
        ld r5, [r5+PERCPU+PC_CUR]
        cmpi r5, 0
        jnz kick_done
        li r4, IRQ_RESCHED
        SEND_IPI r3, r4
kick_done:
        pop r5
        pop r4
        pop r3
        ret

; assign_cpu(r2 = new process): put it on the next CPU's run queue, round robin. Clobbers r1, r3.
assign_cpu:
        ld r1, [next_cpu]
        st [r2+P_CPU], r1
        addi r1, r1, 1
        ld r3, [ncpus]
        cmp r1, r3
        jb assign_cpu_done
        li r1, 0
assign_cpu_done:
        st [next_cpu], r1
        ret

; percpu_init(r1 = CPU): its block zeroed, its idle context ready to start idle_loop.
; Clobbers r1-r3.
percpu_init:
        push r8
        mov r8, r1
        shli r2, r8, PC_SHIFT
        addi r2, r2, PERCPU
        li r3, PC_SIZE
        call memzero
        shli r2, r8, 12
        addi r2, r2, IDLE_STACKS + PAGE_SIZE - SWITCH_FRAME
        li r3, SWITCH_FRAME
        push r2
        call memzero
        pop r2
        li r3, idle_loop
        st [r2+SWITCH_FRAME-4], r3
        shli r3, r8, PC_SHIFT
        st [r3+PERCPU+PC_IDLE_SP], r2
        li r2, KPD
        st [r3+PERCPU+PC_MM], r2
        pop r8
        ret

; smp_boot(): start the other CPUs the boot parameter asks for (at most MAX_CPUS). They wait
; for the kernel lock, which the boot CPU holds until process 1 runs.
smp_boot:
        push r8
        push r9
        ld r9, [BOOT_INFO+BI_CPUS]
        cmpi r9, 1
        jge smp_boot_low
        li r9, 1
smp_boot_low:
        cmpi r9, MAX_CPUS
        jle smp_boot_high
        li r9, MAX_CPUS
smp_boot_high:
        st [ncpus], r9
        li r8, 1
        cmp r8, r9
        jl smp_boot_first
        li r8, 0
smp_boot_first:
        st [next_cpu], r8               ; the first new process goes to the second CPU (process 1 is on the first)
        li r8, 1
smp_boot_next:
        cmp r8, r9
        jge smp_boot_done
        mov r1, r8
        call percpu_init
        START_CPU r8
        addi r8, r8, 1
        jmp smp_boot_next
smp_boot_done:
        pop r9
        pop r8
        ret

; the idle context of a CPU, on its own stack, with the kernel lock held: run what its queue
; (or another's) has, else wait for an interrupt without the lock. It runs on the kernel's
; own page directory, so no CPU keeps an address space loaded that its process may free.
idle_loop:
        THIS_CPU r8
        st [r8+PC_CUR], r0
        ld r1, [r8+PC_MM]
        cmpi r1, KPD
        jz idle_scan
        li r2, KPD
        st [r8+PC_MM], r2
        LOAD_CR3 r2
idle_scan:
        call pick_next
        cmpi r1, 0
        jnz idle_run
        call klock_release
        IDLE
        IRQ_DISABLE r1
        call klock_acquire
        jmp idle_scan
idle_run:
        mov r9, r1
        st [r8+PC_RESCHED], r0
        addi r1, r8, PC_IDLE_SP
        call switch_to
        jmp idle_loop

; a secondary CPU's first instructions (natively: ring 0, paging off, interrupts disabled,
; started at the reset vector, whose boot code sends it here; paravirtual: ring 1 on the boot
; CPU's page directory, events masked)
ap_start:
        rdpid r1
        shli r1, r1, 12
        addi sp, r1, IDLE_STACKS + PAGE_SIZE
        INSTALL_TRAPS_AP
        li r1, KPD
        ENABLE_PAGING r1, r2
        IRQ_CONTROLLER_INIT r1
        ld r2, [BOOT_INFO+BI_HZ]
        li r1, 1000000
        div r1, r1, r2
        TIMER_SET r1
        call klock_acquire
        ld r1, [cpus_online]
        addi r1, r1, 1
        st [cpus_online], r1
        jmp idle_loop
