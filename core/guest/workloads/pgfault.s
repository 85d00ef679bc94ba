; pgfault - Adams & Agesen's `pgfault`: grow the heap by n pages and touch each once, n
; demand-zero page faults. The check reads every page back: the word written, and zeros.
; Other system calls: sbrk, mark x2, write, result, exit (6).
.include "../lib/user.s"

main:
        MAIN_ENTER 4                    ; r8 = n
        addi r2, r8, 1
        shli r2, r2, 12
        SYSCALL SYS_SBRK
        li r11, 0                       ; ok
        cmpi r1, 0
        jl pgfault_report
        addi r9, r1, PAGE_SIZE - 1
        andi r9, r9, ~(PAGE_SIZE - 1)   ; first whole page
        MARK_START
        li r10, 0
        mov r2, r9
pgfault_touch:
        cmp r10, r8
        jge pgfault_touched
        addi r10, r10, 1
        st [r2], r10
        addi r2, r2, PAGE_SIZE
        jmp pgfault_touch
pgfault_touched:
        MARK_END
        li r10, 0
        li r3, 0                        ; checksum
        mov r2, r9
pgfault_check:
        cmp r10, r8
        jge pgfault_checked
        addi r10, r10, 1
        ld r1, [r2]
        cmp r1, r10
        jnz pgfault_report
        add r3, r3, r1
        ld r1, [r2+4]
        ld r4, [r2+PAGE_SIZE-4]
        or r1, r1, r4
        jnz pgfault_report
        addi r2, r2, PAGE_SIZE
        jmp pgfault_check
pgfault_checked:
        li r11, 1
        mov r2, r8
        call put_result
pgfault_report:
        REPORT text_name, r8, text_what, r11
        MAIN_RETURN 4

text_name:      .asciz "pgfault: "
text_what:      .asciz " page faults"
