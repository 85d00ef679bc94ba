; ipi - inter-processor interrupt ping-pong: n times, the kernel posts a request to the next
; CPU, sends it the request IPI and waits for its answer (kbench 5). With one CPU there is
; no other to ping: the kernel counts the n pings as answered at once.
; Other system calls: mark x2, kbench, write, result, exit (6).
.include "../lib/user.s"

.equ KB_IPI, 5

main:
        MAIN_ENTER 2                    ; r8 = n
        MARK_START
        li r2, KB_IPI
        mov r3, r8
        SYSCALL SYS_KBENCH
        mov r9, r1
        MARK_END
        PUT_RESULT r8, r9
        REPORT_EQ text_name, r9, text_what, r9, r8
        MAIN_RETURN 2

        .align 4
text_name:      .asciz "ipi: "
text_what:      .asciz " round trips"
