; divzero - Adams & Agesen's `divzero`: n divisions by zero in user mode; the kernel counts
; each divide error and resumes after the instruction, which therefore leaves its
; destination unchanged. Other system calls: mark x2, write, result, exit (5).
.include "../lib/user.s"

main:
        MAIN_ENTER 3                    ; r8 = n
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
        PUT_RESULT r8, r10
        REPORT_EQ text_name, r8, text_what, r10, r8
        MAIN_RETURN 3

text_name:      .asciz "divzero: "
text_what:      .asciz " divide errors"
