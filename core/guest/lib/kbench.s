; kbench.s - the body of the workloads that time a kernel-mode loop (in, cr8wr, callret,
; ptemod): one kbench(kind, n) system call between the markers.
; Other system calls: kbench, mark x2, write, result, exit (6).

; KBENCH_WORKLOAD kind, "name: ", " what": the check is that kbench returned n
.macro KBENCH_WORKLOAD kind, name, what
main:
        MAIN_ENTER 2                    ; r8 = n
        MARK_START
        li r2, \kind
        mov r3, r8
        SYSCALL SYS_KBENCH
        mov r9, r1
        MARK_END
        PUT_RESULT r8, r9
        REPORT_EQ kbench_name, r8, kbench_what, r9, r8
        MAIN_RETURN 2

kbench_name:    .asciz \name
kbench_what:    .asciz \what
.endm
