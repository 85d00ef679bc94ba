; forkwait - n times: fork; the child writes a global variable and exits at once with
; code (i & 0x7f); the parent waits for it and checks its pid, its exit code, and that the
; child's write is invisible in its own copy. Then one more wait must report no children.
; Other system calls: mark x2, wait, write, result, exit (6).
.include "../lib/user.s"

.equ PARENT_VALUE, 0x1234

main:
        MAIN_ENTER 5                    ; r8 = n
        li r1, PARENT_VALUE
        st [shared], r1
        li r11, 1                       ; ok
        li r12, 0                       ; sum of exit codes
        MARK_START
        li r9, 0
forkwait_loop:
        cmp r9, r8
        jge forkwait_done
        SYSCALL SYS_FORK
        cmpi r1, 0
        jl forkwait_failed
        jz forkwait_child
        mov r10, r1                     ; child pid
        SYSCALL SYS_WAIT
        cmp r1, r10
        jnz forkwait_failed
        andi r3, r9, 0x7f
        cmp r2, r3
        jnz forkwait_failed
        add r12, r12, r2
        ld r1, [shared]
        cmpi r1, PARENT_VALUE
        jnz forkwait_failed
        addi r9, r9, 1
        jmp forkwait_loop
forkwait_child:
        addi r1, r9, 1000
        st [shared], r1
        andi r2, r9, 0x7f
        SYSCALL SYS_EXIT
forkwait_failed:
        li r11, 0
forkwait_done:
        MARK_END
        SYSCALL SYS_WAIT
        cmpi r1, -1
        jz forkwait_report
        li r11, 0
forkwait_report:
        PUT_RESULT r8, r12
        REPORT text_name, r8, text_what, r11
        MAIN_RETURN 5

        .align 4
shared:         .word 0
text_name:      .asciz "forkwait: "
text_what:      .asciz " forks"
