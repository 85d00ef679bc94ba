; pforkwait - parallel fork/wait: the main process forks `threads` children, each of which
; does n rounds of fork / exit / wait (the grandchild exits with code i & 0x7f) and exits
; with 0 if every exit code came back right; the main process waits for them all.
; Result {n, threads * sum of (i & 0x7f)}.
.include "../lib/user.s"

main:
        MAIN_ENTER 5                    ; r8 = n
        mov r9, r2                      ; threads (processes)
        li r12, 1
        MARK_START
        li r10, 0
pforkwait_spawn:
        cmp r10, r9
        jge pforkwait_spawned
        SYSCALL SYS_FORK
        cmpi r1, 0
        jl pforkwait_failed
        jz pforkwait_child
        addi r10, r10, 1
        jmp pforkwait_spawn
pforkwait_spawned:
        li r10, 0
        li r11, 0                       ; sum of the children's sums
pforkwait_join:
        cmp r10, r9
        jge pforkwait_done
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl pforkwait_failed
        cmpi r2, 0
        jnz pforkwait_failed
        addi r10, r10, 1
        jmp pforkwait_join
pforkwait_failed:
        li r12, 0
pforkwait_done:
        MARK_END
        ; each child's sum is the same: compute it here
        li r10, 0
        li r11, 0
pforkwait_sum:
        cmp r10, r8
        jge pforkwait_summed
        andi r1, r10, 0x7f
        add r11, r11, r1
        addi r10, r10, 1
        jmp pforkwait_sum
pforkwait_summed:
        mul r11, r11, r9
        PUT_RESULT r8, r11
        OUT_COUNT text_name, r9, text_x
        mov r2, r8
        call out_dec
        OUT_TEXT text_forks
        mov r2, r12
        call out_verdict
        MAIN_RETURN 5

; a child: n rounds of fork / exit(i & 0x7f) / wait, checking each code
pforkwait_child:
        li r10, 0
pforkwait_child_loop:
        cmp r10, r8
        jge pforkwait_child_ok
        SYSCALL SYS_FORK
        cmpi r1, 0
        jl pforkwait_child_bad
        jz pforkwait_grandchild
        mov r11, r1
        SYSCALL SYS_WAIT
        cmp r1, r11
        jnz pforkwait_child_bad
        andi r3, r10, 0x7f
        cmp r2, r3
        jnz pforkwait_child_bad
        addi r10, r10, 1
        jmp pforkwait_child_loop
pforkwait_grandchild:
        andi r2, r10, 0x7f
        SYSCALL SYS_EXIT
pforkwait_child_ok:
        li r2, 0
        SYSCALL SYS_EXIT
pforkwait_child_bad:
        li r2, 1
        SYSCALL SYS_EXIT

        .align 4
text_name:      .asciz "pforkwait: "
text_x:         .asciz " x "
text_forks:     .asciz " forks"
