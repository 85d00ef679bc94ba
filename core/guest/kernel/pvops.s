; pvops.s - every privileged or sensitive operation of the kernel, as macros.
;
; The native build expands them to the real instructions. The paravirtual build
; (assembled with PARAVIRT defined; the kernel then runs in ring 1 under a hypervisor)
; expands them to plain loads and stores on the shared-info page or to hypercalls
; (hypercalls.s), the way Linux's paravirt_ops does. No other kernel file uses a
; privileged or sensitive instruction.
;
; Contracts common to both builds (so code is correct under either):
; - a macro may clobber r1 (hypercalls return in r1) and the arithmetic flags; it keeps
;   every other register unless its comment says otherwise;
; - IRQ_SAVE/IRQ_RESTORE keep one word on the stack between them;
; - PTE_SET writes a page-table entry given its PHYSICAL address; between PTE_BATCH_BEGIN
;   and PTE_BATCH_END the paravirtual build may queue the update, so nothing in between may
;   depend on it taking effect.
;
; The helper routines at the end of this file are code: kernel.s includes this file right
; after the reset jump.

.ifndef PV_BATCHING
.equ PV_BATCHING, 1          ; paravirtual: queue page-table updates (up to MMU_BATCH_MAX)
.endif

.ifndef PARAVIRT
; =========================================================================================
; native: the real instructions
; =========================================================================================

; save the interrupt state on the stack and disable interrupts (spin_lock_irqsave)
.macro IRQ_SAVE rs
        pushf
        cli
.endm

; restore the interrupt state saved by IRQ_SAVE (spin_unlock_irqrestore)
.macro IRQ_RESTORE rs
        popf
.endm

.macro IRQ_DISABLE rs
        cli
.endm

.macro IRQ_ENABLE rs
        sti
.endm

; enable interrupts and wait for one (atomically: the STI shadow covers HLT)
.macro IDLE
        sti
        hlt
.endm

; rd = fault address of the last page fault
.macro READ_CR2 rd
        rdcr \rd, cr2
.endm

; inter-processor interrupt on IRQ line rline to the CPU numbered rcpu (clobbers r1)
.macro SEND_IPI rcpu, rline
        shli r1, \rcpu, ICR_DEST_SHIFT
        or r1, r1, \rline
        out PORT_ICR, r1
.endm

; start the CPU numbered rcpu: INIT, then a start-up IPI to page 0, the reset vector, where
; boot sends every CPU but the first to ap_start (clobbers r1)
.macro START_CPU rcpu
        shli r1, \rcpu, ICR_DEST_SHIFT
        ori r1, r1, ICR_INIT
        out PORT_ICR, r1
        shli r1, \rcpu, ICR_DEST_SHIFT
        ori r1, r1, ICR_STARTUP
        out PORT_ICR, r1
.endm

; flush page rva on the CPUs of mask rmask: request IPIs and wait for the answers
; (clobbers r1-r7)
.macro FLUSH_OTHERS rmask, rva
        call flush_others_ipi
.endm

; a secondary CPU's interrupt table (filled by the boot CPU) and fast system calls
.macro INSTALL_TRAPS_AP
        li r1, IDT
        lidt r1
        li r1, sysenter_entry
        wrcr cr10, r1
        li r1, BOOT_STACK_TOP
        wrcr cr11, r1
.endm

; rd = physical address of the current page directory
.macro READ_CR3 rd
        rdcr \rd, cr3
.endm

; switch to the page directory at physical rs (flushes the TLB)
.macro LOAD_CR3 rs
        wrcr cr3, \rs
.endm

; first switch to the page directory at physical rpd: turn paging on (rt scratch)
.macro ENABLE_PAGING rpd, rt
        wrcr cr3, \rpd
        li \rt, 1
        wrcr cr0, \rt
.endm

; the stack pointer loaded when a trap enters the kernel from user mode
.macro SET_KSTACK rs
        wrcr cr4, \rs
.endm

; context switch: address space (if rpd differs from the current one) and kernel stack
.macro SWITCH_MM_AND_STACK rpd, rstack
        wrcr cr3, \rpd
        wrcr cr4, \rstack
.endm

; task-priority register
.macro SET_TPR rs
        wrcr cr8, \rs
.endm

; drop the TLB entry of the page holding virtual address rs
.macro TLB_FLUSH_PAGE rs
        invlpg \rs
.endm

; page-table entry at physical address raddr = rval (through the direct map)
.macro PTE_SET raddr, rval
        st [\raddr+PHYS_OFFSET], \rval
.endm

.macro PTE_BATCH_BEGIN
.endm

.macro PTE_BATCH_END
.endm

; fill and load the interrupt descriptor table from trap_list
.macro INSTALL_TRAPS
        call idt_fill
        li r1, IDT
        lidt r1
        ; fast system calls: SYSENTER enters at sysenter_entry, which takes its stack from the
        ; running process (cr11 is only the CPU's: the stub switches stacks at once)
        li r1, sysenter_entry
        wrcr cr10, r1
        li r1, BOOT_STACK_TOP
        wrcr cr11, r1
.endm

; periodic timer, period in rs
.macro TIMER_SET rs
        out PORT_TIMER, \rs
.endm

; unmask the interrupt lines the kernel uses
.macro IRQ_CONTROLLER_INIT rt
        li \rt, IRQ_MASK
        out PORT_PIC_MASK, \rt
.endm

; end of interrupt for IRQ line rirq
.macro EOI rirq
        out PORT_PIC_CMD, \rirq
.endm

; console output of r3 bytes at r2 (clobbers r1-r3)
.macro CONSOLE_WRITE
        call con_write_ports
.endm

; rd = console status
.macro CONSOLE_STATUS rd
        in \rd, PORT_CON_STATUS
.endm

; start a block request: r2 = command, r3 = sector, r4 = physical buffer;
; r1 = 0, or negative when the device rejected it (no completion interrupt follows)
.macro DISK_START
        out PORT_BLK_SECTOR, r3
        out PORT_BLK_ADDR, r4
        out PORT_BLK_CMD, r2
        in r1, PORT_BLK_CMD
        andi r1, r1, BLK_ERROR
        neg r1
.endm

; rd = status of the block device (after completion: 0 ok, BLK_ERROR failed)
.macro DISK_STATUS rd
        in \rd, PORT_BLK_CMD
.endm

; region marker: rs = 1 start, 2 end
.macro MARK rs
        out PORT_MARK, \rs
.endm

; stop the machine with exit code rs
.macro POWER_OFF rs
        out PORT_POWER, \rs
.endm

; return from a trap frame; sp points at the saved r1 (above it: error code, pc, cs, flags, sp)
.macro TRAP_RETURN
        pop r1
        addi sp, sp, 4
        iret
.endm

; back to user mode after a system call entered by SYSENTER: r1 restored, the CPU's frame
; (pc, cs, flags, sp) on the stack; the vsyscall page restores r11-r13
.macro SYSENTER_RETURN
        pop r1
        addi sp, sp, 4
        ld r13, [sp]                    ; user pc
        ld r12, [sp+12]                 ; user sp
        sti                             ; interrupts are recognised after the SYSEXIT
        sysexit r13, r12
.endm

.else
; =========================================================================================
; paravirtual: shared-info page and hypercalls, no privileged or sensitive instruction
; =========================================================================================

.macro HYPERCALL0 num
        li r1, \num
        vmcall
.endm

; one-argument hypercall; keeps r2
.macro HYPERCALL1 num, a1
        push r2
        mov r2, \a1
        li r1, \num
        vmcall
        pop r2
.endm

; two-argument hypercall; keeps r2, r3 (either argument may be any register but sp)
.macro HYPERCALL2 num, a1, a2
        push r2
        push r3
        push \a1
        push \a2
        pop r3
        pop r2
        li r1, \num
        vmcall
        pop r3
        pop r2
.endm

; a virtual IPI: an event to the vCPU numbered rcpu on line rline (Xen's event-channel send)
.macro SEND_IPI rcpu, rline
        HYPERCALL2 HC_SEND_IPI, \rcpu, \rline
.endm

; bring up the vCPU numbered rcpu at ap_start (Xen's VCPUOP_initialise + VCPUOP_up)
.macro START_CPU rcpu
        li r1, ap_start
        HYPERCALL2 HC_VCPU_UP, \rcpu, r1
.endm

; flush page rva on the vCPUs of mask rmask: one hypercall, done when it returns (mmuext_op)
.macro FLUSH_OTHERS rmask, rva
        call pv_flush_batch
        HYPERCALL2 HC_TLB_FLUSH_MULTI, \rmask, \rva
.endm

.macro INSTALL_TRAPS_AP
        INSTALL_TRAPS
.endm

;; Each vCPU has its own event mask, pending bits and fault address in the shared-info page
;; (Xen's vcpu_info): at SHARED_INFO + vCPU * VCPU_INFO_SIZE. The macros find their vCPU's
;; with rdpid, using only their own scratch register: the mask is any non-zero value
;; (this vCPU's info address + 1) when events are masked.

; rd = this vCPU's info address minus SHARED_INFO
.macro VCPU_INFO rd
        rdpid \rd
        shli \rd, \rd, VCPU_INFO_SHIFT
.endm

; the event mask is the virtual IF (inverted): non-zero = masked
.macro IRQ_SAVE rs
        VCPU_INFO \rs
        ld \rs, [\rs+SI_MASK]
        push \rs
        IRQ_DISABLE \rs
.endm

; restore the mask; when that unmasks events and some are pending, have them delivered now
.macro IRQ_RESTORE rs
        pop \rs
        cmpi \rs, 0
        jz irq_restore_unmask\@
        IRQ_DISABLE \rs
        jmp irq_restore_done\@
irq_restore_unmask\@:
        IRQ_ENABLE \rs
irq_restore_done\@:
.endm

.macro IRQ_DISABLE rs
        VCPU_INFO \rs
        ori \rs, \rs, 1
        st [\rs+SI_MASK-1], \rs
.endm

.macro IRQ_ENABLE rs
        VCPU_INFO \rs
        st [\rs+SI_MASK], r0
        ld \rs, [\rs+SI_PENDING]
        cmpi \rs, 0
        jz irq_enable_done\@
        call pv_force_event
irq_enable_done\@:
.endm

; the hypervisor unmasks events and blocks until one is delivered
.macro IDLE
        HYPERCALL0 HC_SCHED_BLOCK
.endm

.macro READ_CR2 rd
        VCPU_INFO \rd
        ld \rd, [\rd+SI_CR2]
.endm

; the kernel keeps its own copy of the base pointer
.macro READ_CR3 rd
        ld \rd, [cr3_shadow]
.endm

.macro LOAD_CR3 rs
        st [cr3_shadow], \rs
        HYPERCALL1 HC_NEW_BASEPTR, \rs
.endm

.macro ENABLE_PAGING rpd, rt
        st [cr3_shadow], \rpd
        HYPERCALL1 HC_NEW_BASEPTR, \rpd
.endm

.macro SET_KSTACK rs
        HYPERCALL1 HC_STACK_SWITCH, \rs
.endm

; with batching: one multicall {new_baseptr, stack_switch}, as Xen's context switch does
.macro SWITCH_MM_AND_STACK rpd, rstack
        st [cr3_shadow], \rpd
.if PV_BATCHING
        push \rstack
        push \rpd
        call pv_switch_multicall
        addi sp, sp, 8
.else
        HYPERCALL1 HC_NEW_BASEPTR, \rpd
        HYPERCALL1 HC_STACK_SWITCH, \rstack
.endif
.endm

.macro SET_TPR rs
        HYPERCALL1 HC_SET_TPR, \rs
.endm

; queued page-table updates must reach the tables before the TLB entry is dropped
.macro TLB_FLUSH_PAGE rs
        call pv_flush_batch
        HYPERCALL1 HC_INVLPG, \rs
.endm

.macro PTE_SET raddr, rval
        push \rval
        push \raddr
        call pv_pte_set
        addi sp, sp, 8
.endm

.macro PTE_BATCH_BEGIN
        call pv_batch_begin
.endm

.macro PTE_BATCH_END
        call pv_batch_end
.endm

; the exception and system-call entries of trap_list (not the IRQs: events come by upcall),
; and the SYSENTER entry (the vsyscall page enters by int 0x80, but a program may use
; SYSENTER itself, as natively)
.macro INSTALL_TRAPS
        push r2
        push r3
        li r2, trap_list
        li r3, TRAP_LIST_EXCEPTIONS
        li r1, HC_SET_TRAP_TABLE
        vmcall
        pop r3
        pop r2
        li r1, sysenter_entry
        HYPERCALL1 HC_SET_SYSENTER, r1
.endm

.macro TIMER_SET rs
        HYPERCALL1 HC_SET_TIMER, \rs
.endm

; register the event upcall (virtual interrupts)
.macro IRQ_CONTROLLER_INIT rt
        li \rt, pv_upcall_entry
        HYPERCALL1 HC_SET_CALLBACKS, \rt
.endm

.macro EOI rirq
        HYPERCALL1 HC_EOI, \rirq
.endm

; console output of r3 bytes at r2 (clobbers r1-r3)
.macro CONSOLE_WRITE
        li r1, HC_CONSOLE_WRITE
        vmcall
.endm

.macro CONSOLE_STATUS rd
        HYPERCALL0 HC_CONSOLE_STATUS
        mov \rd, r1
.endm

; r2 = command, r3 = sector, r4 = physical buffer; r1 = 0 or negative (rejected)
.macro DISK_START
        li r1, HC_BLOCK_IO
        vmcall
.endm

.macro DISK_STATUS rd
        ld \rd, [SI_BLOCK_STATUS]
.endm

.macro MARK rs
        HYPERCALL1 HC_MARK, \rs
.endm

.macro POWER_OFF rs
        HYPERCALL1 HC_SHUTDOWN, \rs
.endm

; iret hypercall: the hypervisor pops [r1, pc, cs, flags, sp] and restores the event mask
; from the IF bit of flags. sp points at the saved r1, with the error code above it: move
; r1 into the error code's slot.
; through the hypervisor's hypercall page: a real return to user mode when that is safe,
; the iret hypercall otherwise (r1 is restored from the frame)
.macro TRAP_RETURN
        li r1, HP_TRAP_RETURN
        jmpr r1
.endm

.macro SYSENTER_RETURN
        TRAP_RETURN
.endm
.endif

; =========================================================================================
; helper routines (code)
; =========================================================================================
.ifndef PARAVIRT

; console output through the data port: r2 = buffer, r3 = length (clobbers r1-r3)
con_write_ports:
        cmpi r3, 0
        jle con_write_ports_done
con_write_ports_loop:
        ldb r1, [r2]
        out PORT_CON_DATA, r1
        addi r2, r2, 1
        subi r3, r3, 1
        jnz con_write_ports_loop
con_write_ports_done:
        ret

.else

; have pending events delivered (the hypervisor delivers them on a hypercall's return)
pv_force_event:
        push r1
        li r1, HC_FORCE_EVENT
        vmcall
        pop r1
        ret

; queue (or apply) one page-table update; stack: return, entry address, value. Keeps all registers.
pv_pte_set:
        push r1
        push r2
        push r3
        push r4
        ld r2, [sp+20]
        ld r3, [sp+24]
.if PV_BATCHING
        ld r4, [pv_batch_open]
        cmpi r4, 0
        jz pv_pte_set_now
        ld r4, [pv_batch_count]
        shli r1, r4, 3
        st [r1+PV_MMU_BATCH], r2
        st [r1+PV_MMU_BATCH+4], r3
        addi r4, r4, 1
        st [pv_batch_count], r4
        cmpi r4, MMU_BATCH_MAX
        jl pv_pte_set_done
        call pv_flush_batch
        jmp pv_pte_set_done
.endif
pv_pte_set_now:
        st [PV_MMU_ONE], r2
        st [PV_MMU_ONE+4], r3
        li r2, PV_MMU_ONE
        li r3, 1
        li r1, HC_MMU_UPDATE
        vmcall
        cmpi r1, 0
        jl pv_mmu_failed
pv_pte_set_done:
        pop r4
        pop r3
        pop r2
        pop r1
        ret

pv_mmu_failed:
        li r1, msg_mmu_update
        jmp panic

; send the queued updates in one mmu_update. Keeps all registers.
pv_flush_batch:
        push r1
        push r2
        push r3
        ld r3, [pv_batch_count]
        cmpi r3, 0
        jz pv_flush_batch_done
        li r2, PV_MMU_BATCH
        li r1, HC_MMU_UPDATE
        vmcall
        cmpi r1, 0
        jl pv_mmu_failed
        st [pv_batch_count], r0
pv_flush_batch_done:
        pop r3
        pop r2
        pop r1
        ret

pv_batch_begin:
        push r1
        li r1, 1
        st [pv_batch_open], r1
        pop r1
        ret

pv_batch_end:
        call pv_flush_batch
        st [pv_batch_open], r0
        ret

; multicall {new_baseptr(pd), stack_switch(stack)}; stack: return, pd, stack. Keeps all registers.
pv_switch_multicall:
        push r1
        push r2
        push r3
        ld r2, [sp+16]
        ld r3, [sp+20]
        li r1, HC_NEW_BASEPTR
        st [PV_MULTICALL], r1
        st [PV_MULTICALL+4], r2
        li r1, HC_STACK_SWITCH
        st [PV_MULTICALL+20], r1
        st [PV_MULTICALL+24], r3
        li r2, PV_MULTICALL
        li r3, 2
        li r1, HC_MULTICALL
        vmcall
        pop r3
        pop r2
        pop r1
        ret

; the event upcall: the hypervisor pushed sp, flags, cs, pc and the delivered event bits
; (in the error-code slot) and masked events
pv_upcall_entry:
        push r1
        li r1, VEC_UPCALL
        jmp trap_common
.endif

; paravirtual buffers (in PVBUF)
.equ PV_MMU_BATCH,  PVBUF                   ; MMU_BATCH_MAX pairs
.equ PV_MMU_ONE,    PVBUF + 0x100           ; one pair
.equ PV_MULTICALL,  PVBUF + 0x200           ; multicall entries, 5 words each
