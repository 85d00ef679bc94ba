; syscall - Adams & Agesen's nanobenchmark: n null system calls (getpid).
; Other system calls: mark x2, write, result, exit (5).
.include "../lib/user.s"

main:
        MAIN_ENTER 3                    ; r8 = n
        MARK_START
        li r9, 0
        li r10, 0                       ; sum of the pids returned
syscall_loop:
        cmp r9, r8
        jge syscall_done
        SYSCALL SYS_GETPID
        add r10, r10, r1
        addi r9, r9, 1
        jmp syscall_loop
syscall_done:
        MARK_END
        PUT_RESULT r8, r10
        ; process 1: every call returned 1
        REPORT_EQ text_name, r8, text_what, r10, r8
        MAIN_RETURN 3

text_name:      .asciz "syscall: "
text_what:      .asciz " getpid calls"
