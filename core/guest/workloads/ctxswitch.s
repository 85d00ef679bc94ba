; ctxswitch - fork; parent and child each yield n times; the parent waits for the child
; (exit code 0). Other system calls of the parent: fork, wait, mark x2, write, result, exit.
.include "../lib/user.s"

main:
        MAIN_ENTER 4                    ; r8 = n
        li r11, 1                       ; ok
        MARK_START
        SYSCALL SYS_FORK
        cmpi r1, 0
        jl ctxswitch_failed
        mov r10, r1                     ; child pid, 0 in the child
        li r9, 0
ctxswitch_loop:
        cmp r9, r8
        jge ctxswitch_yielded
        SYSCALL SYS_YIELD
        addi r9, r9, 1
        jmp ctxswitch_loop
ctxswitch_yielded:
        cmpi r10, 0
        jnz ctxswitch_parent
        li r2, 0
        SYSCALL SYS_EXIT
ctxswitch_parent:
        SYSCALL SYS_WAIT
        cmp r1, r10
        jnz ctxswitch_failed
        cmpi r2, 0
        jz ctxswitch_done
ctxswitch_failed:
        li r11, 0
ctxswitch_done:
        MARK_END
        mov r2, r8
        li r3, 2
        call put_result
        REPORT text_name, r8, text_what, r11
        MAIN_RETURN 4

text_name:      .asciz "ctxswitch: 2 processes x "
text_what:      .asciz " yields"
