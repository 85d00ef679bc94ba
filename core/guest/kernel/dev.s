; dev.s - devices: timer and disk interrupts, disk requests, the kernel-mode benchmark loops.

; timer interrupt: count the tick and ask for a reschedule on the way back to user mode
timer_irq:
        li r1, IRQ_TIMER
        EOI r1
        ld r1, [ticks]
        addi r1, r1, 1
        st [ticks], r1
        THIS_CPU r2
        li r1, 1
        st [r2+PC_RESCHED], r1
        ret

; disk interrupt: the outstanding request completed
block_irq:
        li r1, IRQ_BLOCK
        EOI r1
        li r1, 1
        st [disk_done], r1
        li r1, disk_done
        call wakeup
        ret

; disk_io(r2 = command, r3 = sector, r4 = user buffer of one sector) -> 0 or negative.
; One request at a time: wait for the disk, DMA through the bounce buffer, sleep until the
; completion interrupt.
disk_io:
        push r8
        push r9
        push r10
        push r11
        mov r8, r2
        mov r9, r3
        mov r10, r4
        mov r2, r10
        li r3, SECTOR_SIZE
        call user_ok
        cmpi r1, 0
        jz disk_io_fault
        IRQ_SAVE r7
disk_io_acquire:
        ld r1, [disk_busy]
        cmpi r1, 0
        jz disk_io_own
        li r1, disk_busy
        call sleep
        jmp disk_io_acquire
disk_io_own:
        li r1, 1
        st [disk_busy], r1
        IRQ_RESTORE r7
        cmpi r8, BLK_WRITE
        jnz disk_io_start
        li r2, BOUNCE
        mov r3, r10
        li r4, SECTOR_SIZE
        call memcpy
disk_io_start:
        IRQ_SAVE r7
        st [disk_done], r0
        mov r2, r8
        mov r3, r9
        li r4, BOUNCE
        DISK_START
        mov r11, r1
        cmpi r11, 0
        jl disk_io_finished             ; rejected: no interrupt will come
disk_io_wait:
        ld r1, [disk_done]
        cmpi r1, 0
        jnz disk_io_completed
        li r1, disk_done
        call sleep
        jmp disk_io_wait
disk_io_completed:
        DISK_STATUS r11
        andi r11, r11, BLK_ERROR
disk_io_finished:
        st [disk_busy], r0
        li r1, disk_busy
        call wakeup
        IRQ_RESTORE r7
        li r1, EIO
        cmpi r11, 0
        jnz disk_io_done
        cmpi r8, BLK_READ
        jnz disk_io_ok
        mov r2, r10
        li r3, BOUNCE
        li r4, SECTOR_SIZE
        call memcpy
disk_io_ok:
        li r1, 0
        jmp disk_io_done
disk_io_fault:
        li r1, EFAULT
disk_io_done:
        pop r11
        pop r10
        pop r9
        pop r8
        ret

; kbench(r2 = kind, r3 = n) -> n (kind 1: the sum of the values read)
;   1: n reads of the console status port        (Adams & Agesen's `in`)
;   2: n writes of the task-priority register      (`cr8wr`)
;   3: n call/ret pairs                            (`callret`)
;   4: n page-table-entry updates of a kernel page, each followed by invlpg (`ptemod`)
kbench:
        push r8
        push r9
        push r10
        mov r8, r3
        cmpi r8, 0
        jl kbench_bad
        li r9, 0                        ; i
        li r10, 0                       ; sum
        cmpi r2, 1
        jz kbench_in
        cmpi r2, 2
        jz kbench_cr8
        cmpi r2, 3
        jz kbench_callret
        cmpi r2, 4
        jz kbench_ptemod
        cmpi r2, 5
        jz kbench_ipi
kbench_bad:
        li r1, EINVAL
        jmp kbench_done
kbench_in:
        cmp r9, r8
        jge kbench_sum
        CONSOLE_STATUS r2
        add r10, r10, r2
        addi r9, r9, 1
        jmp kbench_in
kbench_cr8:
        cmp r9, r8
        jge kbench_count
        andi r2, r9, 1
        SET_TPR r2
        addi r9, r9, 1
        jmp kbench_cr8
kbench_callret:
        cmp r9, r8
        jge kbench_count
        call kbench_leaf
        addi r9, r9, 1
        jmp kbench_callret
kbench_ptemod:
        li r3, KPT + (SCRATCH_VA >> 12) * 4
        li r4, SCRATCH_VA
kbench_ptemod_loop:
        cmp r9, r8
        jge kbench_count
        li r2, SCRATCH_FRAME_A | PTE_P | PTE_W
        andi r1, r9, 1
        jz kbench_ptemod_set
        li r2, SCRATCH_FRAME_B | PTE_P | PTE_W
kbench_ptemod_set:
        PTE_SET r3, r2
        TLB_FLUSH_PAGE r4
        addi r9, r9, 1
        jmp kbench_ptemod_loop
; n round trips of a request to the next CPU (a ping: nothing to flush)
kbench_ipi:
        ld r1, [ncpus]
        cmpi r1, 1
        jle kbench_count                ; one CPU: no other to ping
        rdpid r4
        addi r4, r4, 1
        cmp r4, r1
        jb kbench_ipi_unlock
        li r4, 0
kbench_ipi_unlock:
        ; the pings touch no shared kernel state: the kernel lock is left for their time, so a
        ; timer tick on the other CPU runs and it goes back to idle, and every ping is taken
        ; there as an interrupt (with the lock held, a tick there spins on it and answers the
        ; rest by polling: a different, cheaper measure, taken or not as a tick falls)
        IRQ_DISABLE r2
        call klock_release
kbench_ipi_loop:
        cmp r9, r8
        jge kbench_ipi_done
        li r5, -1
        call call_post
        call call_wait
        addi r9, r9, 1
        jmp kbench_ipi_loop
kbench_ipi_done:
        IRQ_DISABLE r2
        call klock_acquire
kbench_count:
        mov r1, r8
        jmp kbench_done
kbench_sum:
        mov r1, r10
kbench_done:
        pop r10
        pop r9
        pop r8
        ret

kbench_leaf:
        ret
