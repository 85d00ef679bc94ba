; traps.s - trap entry stubs, the common entry and exit path, and dispatch by vector.
;
; Entry: the CPU (or the hypervisor) pushed sp, flags, cs, pc and, for vectors 8, 13 and 14,
; an error code. The stub pushes a zero error code where there is none, then r1, loads the
; vector into r1 and joins trap_common, which completes the trap frame (layout.s, TF_*).

; a vector without an error code
.macro TRAP_STUB name, vector
\name:
        push r0
        push r1
        li r1, \vector
        jmp trap_common
.endm

; a vector whose delivery pushed an error code
.macro TRAP_STUB_ERR name, vector
\name:
        push r1
        li r1, \vector
        jmp trap_common
.endm

        TRAP_STUB      de_stub,      VEC_DE
        TRAP_STUB      ud_stub,      VEC_UD
        TRAP_STUB_ERR  df_stub,      VEC_DF
        TRAP_STUB_ERR  gp_stub,      VEC_GP
        TRAP_STUB_ERR  pf_stub,      VEC_PF
        TRAP_STUB      timer_stub,   VEC_TIMER
        TRAP_STUB      console_stub, VEC_CONSOLE
        TRAP_STUB      block_stub,   VEC_BLOCK
        TRAP_STUB      resched_stub, VEC_RESCHED
        TRAP_STUB      call_stub,    VEC_CALL
        TRAP_STUB      syscall_stub, VEC_SYSCALL
        TRAP_STUB      unknown_stub, -1

; SYSENTER from the vsyscall page: CPL 0, interrupts off, the CPU's stack (cr11). The page
; left the user's return pc in r13 and stack pointer in r12 and saved r11-r13 itself, so the
; stub may use them: it moves to the running process's kernel stack and builds the frame
; int 0x80 would have (sp, flags, cs, pc, no error code, r1), marked VEC_SYSENTER so the
; return takes SYSEXIT. The paravirtual build's vsyscall page enters by int 0x80, but a
; program's own SYSENTER comes here too: the hypervisor enters this stub in ring 1 with
; events masked (set_sysenter), and the return is the ordinary trap return.
sysenter_entry:
        CUR_PROC r11
        ld sp, [r11+P_KSTACK]
        push r12
        li r11, FL_IF                   ; user mode runs with interrupts on
        push r11
        li r11, 3
        push r11
        push r13
        push r0
        push r1
        li r1, VEC_SYSENTER
        jmp trap_common                 ; (interrupts go on once the kernel lock is held: td_syscall)

trap_common:
        push r2
        push r3
        push r4
        push r5
        push r6
        push r7
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r1
        cmpi r1, VEC_CALL
        jz trap_call
        ; one CPU: no lock to take (Linux's SMP alternatives patch its lock operations out)
        ld r2, [ncpus]
        cmpi r2, 1
        jz trap_common_locked
        ; the lock changes hands with interrupts off (the system-call gate leaves them on): an
        ; interrupt between the lock word and this CPU's nesting count would deadlock
        IRQ_DISABLE r2
        call klock_acquire
trap_common_locked:
        mov r1, sp
        call trap_dispatch
; the way out of every trap, and the first return of a new process (see swtch)
; POP_TRAP_REGS: drop the vector word and restore r14 .. r2 from the trap frame
.macro POP_TRAP_REGS
        addi sp, sp, 4
        pop r14
        pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop r7
        pop r6
        pop r5
        pop r4
        pop r3
        pop r2
.endm

trap_return:
        ld r2, [ncpus]
        cmpi r2, 1
        jz trap_return_unlocked
        IRQ_DISABLE r2                  ; the return restores the interrupted context's flags
        call klock_release
trap_return_unlocked:
        ld r1, [sp+TF_VEC]
        cmpi r1, VEC_SYSENTER
        jz sysenter_return
        POP_TRAP_REGS
        TRAP_RETURN

sysenter_return:
        POP_TRAP_REGS
        SYSENTER_RETURN

; the request IPI needs no kernel lock (a TLB flush or a ping of this CPU's own): served at
; once, so a CPU holding the lock can wait for the answer (Linux's flush IPI is lock-free too)
trap_call:
        call call_irq
        jmp trap_return_unlocked

; trap_dispatch(r1 = trap frame)
trap_dispatch:
        push r8
        push r9
        mov r8, r1
        ld r2, [r8+TF_VEC]
        cmpi r2, VEC_SYSCALL
        jz td_syscall
        cmpi r2, VEC_SYSENTER
        jz td_syscall
        cmpi r2, VEC_TIMER
        jz td_timer
        cmpi r2, VEC_BLOCK
        jz td_block
        cmpi r2, VEC_UPCALL
        jz td_upcall
        cmpi r2, VEC_PF
        jz td_page_fault
        cmpi r2, VEC_DE
        jz td_divide_error
        cmpi r2, VEC_GP
        jz td_general_protection
        cmpi r2, VEC_UD
        jz td_invalid_opcode
        cmpi r2, VEC_CONSOLE
        jz td_console
        cmpi r2, VEC_RESCHED
        jz td_resched
        cmpi r2, VEC_CALL
        jz td_call
        cmpi r2, VEC_DF
        jz td_double_fault
        li r1, msg_unexpected
        jmp panic

td_syscall:
        IRQ_ENABLE r1                   ; system calls run with interrupts on
        mov r1, r8
        call syscall_dispatch
        jmp td_out

td_timer:
        call timer_irq
        jmp td_out

td_block:
        call block_irq
        jmp td_out

td_console:
        li r1, 1
        EOI r1
        jmp td_out

td_resched:
        call resched_irq
        jmp td_out

td_call:
        call call_irq
        jmp td_out

; paravirtual event upcall: the delivered event bits are in the error-code slot
; (each bit's handler from upcall_handlers, in its order)
td_upcall:
        push r10
        ld r9, [r8+TF_ERR]
        li r10, upcall_handlers
td_upcall_next:
        ld r1, [r10]
        cmpi r1, -1
        jz td_upcall_done
        li r2, 1
        shl r2, r2, r1
        and r2, r9, r2
        jz td_upcall_skip
        ld r1, [r10+4]
        callr r1
td_upcall_skip:
        addi r10, r10, 8
        jmp td_upcall_next
td_upcall_done:
        pop r10
        jmp td_out

td_page_fault:
        mov r1, r8
        call page_fault
        jmp td_out

; a user division by zero is counted and skipped (the instruction is one word), like a
; signal handler that resumes after it
td_divide_error:
        ld r1, [r8+TF_CS]
        cmpi r1, 3
        jnz td_kernel_de
        ld r1, [r8+TF_PC]
        addi r1, r1, 4
        st [r8+TF_PC], r1
        ld r1, [divide_errors]
        addi r1, r1, 1
        st [divide_errors], r1
        jmp td_out
td_kernel_de:
        li r1, msg_kernel_de
        jmp panic

td_general_protection:
        li r2, msg_kernel_gp
        jmp td_kill_user
td_invalid_opcode:
        li r2, msg_kernel_ud
        jmp td_kill_user
td_double_fault:
        li r1, msg_double_fault
        jmp panic

; a fault in user mode kills the process; in the kernel it is a bug (r2 = reason)
td_kill_user:
        ld r1, [r8+TF_CS]
        cmpi r1, 3
        jz td_kill
        mov r1, r2
        jmp panic
td_kill:
        li r1, EXIT_KILLED
        call proc_exit

; preempt on the way back to user mode when the timer asked for it
td_out:
        ld r1, [r8+TF_CS]
        cmpi r1, 3
        jnz td_done
        THIS_CPU r1
        ld r1, [r1+PC_RESCHED]
        cmpi r1, 0
        jz td_done
        call yield
td_done:
        pop r9
        pop r8
        ret

.ifndef PARAVIRT
; Fill the interrupt descriptor table: every gate to unknown_stub, then trap_list.
idt_fill:
        li r1, IDT
        li r2, 256
        li r3, unknown_stub
        li r4, GATE_P
idt_fill_default:
        st [r1], r3
        st [r1+4], r4
        addi r1, r1, 8
        subi r2, r2, 1
        jnz idt_fill_default
        li r1, trap_list
        li r2, TRAP_LIST_ALL
idt_fill_list:
        ld r3, [r1]
        shli r3, r3, 3
        addi r3, r3, IDT
        ld r4, [r1+4]
        st [r3], r4
        ld r5, [r1+8]
        andi r6, r5, 3
        shli r6, r6, 1
        ori r6, r6, GATE_P
        andi r5, r5, TL_TRAP
        jz idt_fill_gate
        ori r6, r6, GATE_TRAP
idt_fill_gate:
        st [r3+4], r6
        addi r1, r1, 12
        subi r2, r2, 1
        jnz idt_fill_list
        ret
.endif
