; data.s - read-only data of the kernel image (after kernel_code_end: never executed).

; system calls by number (0 is not a system call)
        .align 4
syscall_table:
        .word sys_none, sys_exit, sys_write, sys_getpid, sys_yield, sys_fork, sys_wait
        .word sys_sbrk, sys_mark, sys_result, sys_disk_read, sys_disk_write, sys_kbench
        .word sys_getparam, sys_clone, sys_ncpus

; the handlers of the paravirtual event upcall's bits {IRQ line, handler}, ended by -1
        .align 4
upcall_handlers:
        .word IRQ_TIMER,   timer_irq
        .word IRQ_BLOCK,   block_irq
        .word IRQ_RESCHED, resched_irq
        .word IRQ_CALL,    call_irq
        .word -1

; trap entries {vector, handler, flags}: flags bits 0-1 = the lowest privilege (highest
; ring) allowed to use INT n on it, bit 2 (TL_TRAP) = keep interrupts enabled on entry.
; The same list is the IDT's source (native) and set_trap_table's argument (paravirtual:
; only the exception and system-call entries; interrupts arrive as event upcalls).
.equ TL_TRAP, 4
trap_list:
        .word VEC_DE,      de_stub,      0
        .word VEC_UD,      ud_stub,      0
        .word VEC_DF,      df_stub,      0
        .word VEC_GP,      gp_stub,      0
        .word VEC_PF,      pf_stub,      0
        .word VEC_SYSCALL, syscall_stub, 3 | TL_TRAP
trap_list_irqs:
        .word VEC_TIMER,   timer_stub,   0
        .word VEC_CONSOLE, console_stub, 0
        .word VEC_BLOCK,   block_stub,   0
        .word VEC_RESCHED, resched_stub, 0
        .word VEC_CALL,    call_stub,    0
trap_list_end:
.equ TRAP_LIST_EXCEPTIONS, (trap_list_irqs - trap_list) / 12
.equ TRAP_LIST_ALL, (trap_list_end - trap_list) / 12

; The vsyscall page's code, copied to VSYSCALL_PAGE at boot and mapped user-readable in every
; address space (Linux 2.6's vsyscall page): user programs `call VSYSCALL` with r1 = the
; system-call number and arguments in r2-r4, and it enters the kernel the fastest way the
; build allows: SYSENTER natively, int 0x80 when paravirtual (Xen's 32-bit guests did the
; same). Position-independent, so it runs wherever it is copied.
        .align 4
vsyscall_code:
.ifndef PARAVIRT
        push r11
        push r12
        push r13
        mov r12, sp                     ; the kernel returns here with this stack pointer
        lea r13, vsys_back              ; and this pc
        sysenter
vsys_back:
        pop r13
        pop r12
        pop r11
        ret
.else
        int VEC_SYSCALL
        ret
.endif
vsyscall_code_end:

msg_panic:          .asciz "panic: "
msg_newline:        .asciz "\n"
msg_bad_boot_info:  .asciz "bad boot info"
msg_no_memory:      .asciz "out of memory"
msg_kernel_pf:      .asciz "page fault in kernel mode"
msg_kernel_gp:      .asciz "general protection fault in kernel mode"
msg_kernel_de:      .asciz "divide error in kernel mode"
msg_kernel_ud:      .asciz "invalid opcode in kernel mode"
msg_double_fault:   .asciz "double fault"
msg_unexpected:     .asciz "unexpected trap"
msg_zombie:         .asciz "exited process scheduled"
msg_mmu_update:     .asciz "mmu_update failed"
msg_bad_image:      .asciz "program image too large"
