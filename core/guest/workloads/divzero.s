; divzero - Adams & Agesen's `divzero`: n divisions by zero in user mode; the kernel counts
; each divide error and resumes after the instruction, which therefore leaves its
; destination unchanged. Other system calls: mark x2, write, result, exit (5).
.include "../lib/user.s"

main:
        push r8
        push r9
        push r10
        mov r8, r1                      ; n
        MARK_START
        li r9, 0
        li r10, 0                       ; divisions skipped
divzero_loop:
        cmp r9, r8
        jge divzero_done
        li r5, 12345
        div r5, r9, r0
        cmpi r5, 12345
        jnz divzero_next
        addi r10, r10, 1
divzero_next:
        addi r9, r9, 1
        jmp divzero_loop
divzero_done:
        MARK_END
        mov r2, r8
        mov r3, r10
        call put_result
        OUT_TEXT text_name
        mov r2, r8
        call out_dec
        OUT_TEXT text_what
        li r2, 0
        cmp r10, r8
        jnz divzero_report
        li r2, 1
divzero_report:
        call out_verdict
        pop r10
        pop r9
        pop r8
        ret

text_name:      .asciz "divzero: "
text_what:      .asciz " divide errors"
