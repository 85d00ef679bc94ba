; syscall - Adams & Agesen's nanobenchmark: n null system calls (getpid).
; Other system calls: mark x2, write, result, exit (5).
.include "../lib/user.s"

main:
        push r8
        push r9
        push r10
        mov r8, r1                      ; n
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
        mov r2, r8
        mov r3, r10
        call put_result
        OUT_TEXT text_name
        mov r2, r8
        call out_dec
        OUT_TEXT text_what
        cmp r10, r8                     ; process 1: every call returned 1
        li r2, 0
        jnz syscall_report
        li r2, 1
syscall_report:
        call out_verdict
        pop r10
        pop r9
        pop r8
        ret

text_name:      .asciz "syscall: "
text_what:      .asciz " getpid calls"
