; kbench.s - the body of the workloads that time a kernel-mode loop (in, cr8wr, callret,
; ptemod): one kbench(kind, n) system call between the markers.
; Other system calls: kbench, mark x2, write, result, exit (6).

; KBENCH_WORKLOAD kind, "name: ", " what": the check is that kbench returned n
.macro KBENCH_WORKLOAD kind, name, what
main:
        push r8
        push r9
        mov r8, r1                      ; n
        MARK_START
        li r2, \kind
        mov r3, r8
        SYSCALL SYS_KBENCH
        mov r9, r1
        MARK_END
        mov r2, r8
        mov r3, r9
        call put_result
        OUT_TEXT kbench_name
        mov r2, r8
        call out_dec
        OUT_TEXT kbench_what
        li r2, 0
        cmp r9, r8
        jnz kbench_report
        li r2, 1
kbench_report:
        call out_verdict
        pop r9
        pop r8
        ret

kbench_name:    .asciz \name
kbench_what:    .asciz \what
.endm
