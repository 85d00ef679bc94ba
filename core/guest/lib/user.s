; user.s - the user-mode runtime of the workloads: the entry point (crt0), system-call
; macros and constants, and routines to format one line of output.
; Include it first: its entry point must be at the program's origin (0x00400000).
; A workload defines `main`: r1 = n on entry, exit code in r1 on return.
; Calling convention: arguments r1..r5, result r1; r1-r7 caller-saved, r8-r14 callee-saved.

.equ SYS_EXIT,        1       ; (code)
.equ SYS_WRITE,       2       ; (buffer, length) -> length
.equ SYS_GETPID,      3       ; () -> pid
.equ SYS_YIELD,       4       ; () -> 0
.equ SYS_FORK,        5       ; () -> child pid / 0 in the child
.equ SYS_WAIT,        6       ; () -> pid, exit code in r2; -1 without children
.equ SYS_SBRK,        7       ; (increment) -> old break
.equ SYS_MARK,        8       ; (1 start | 2 end of the measured region)
.equ SYS_RESULT,      9       ; (buffer, length): the result bytes
.equ SYS_DISK_READ,   10      ; (sector, buffer of 512 bytes) -> 0
.equ SYS_DISK_WRITE,  11      ; (sector, buffer of 512 bytes) -> 0
.equ SYS_KBENCH,      12      ; (kind, n) -> n: kernel-mode loop
.equ SYS_GETPARAM,    13      ; () -> n

.equ KB_IN,           1
.equ KB_CR8,          2
.equ KB_CALLRET,      3
.equ KB_PTEMOD,       4

.equ PAGE_SIZE,       4096
.equ SECTOR_SIZE,     512

; the kernel's system-call entry page (VSYSCALL_PAGE of the kernel's layout.s): SYSENTER on
; the native kernel, int 0x80 on the paravirtual one; int 0x80 works everywhere too
.equ VSYSCALL,        0x003fc000

; system call: r1 = number, arguments already in r2, r3, r4; result in r1
.macro SYSCALL num
        li r1, \num
        call VSYSCALL
.endm

; start / end of the measured region
.macro MARK_START
        li r2, 1
        SYSCALL SYS_MARK
.endm
.macro MARK_END
        li r2, 2
        SYSCALL SYS_MARK
.endm

; append a string literal to the line
.macro OUT_TEXT label
        li r2, \label
        call out_str
.endm

; ---- the frame and the report shared by the workloads ----------------------------------

; MAIN_ENTER count: the start of a workload's `main`: save the callee-saved registers
; r8 .. r(7+count), 1 <= count <= 5, and keep n (r1 on entry) in r8
.macro MAIN_ENTER count
.if \count < 1 || \count > 5
        .error "MAIN_ENTER/MAIN_RETURN: count must be 1 to 5"
.endif
        push r8
.if \count > 1
        push r9
.endif
.if \count > 2
        push r10
.endif
.if \count > 3
        push r11
.endif
.if \count > 4
        push r12
.endif
        mov r8, r1
.endm

; MAIN_RETURN count: restore what `MAIN_ENTER count` saved and return (r1 = exit code)
.macro MAIN_RETURN count
.if \count < 1 || \count > 5
        .error "MAIN_ENTER/MAIN_RETURN: count must be 1 to 5"
.endif
.if \count > 4
        pop r12
.endif
.if \count > 3
        pop r11
.endif
.if \count > 2
        pop r10
.endif
.if \count > 1
        pop r9
.endif
        pop r8
        ret
.endm

; PUT_RESULT n, value (registers): the result bytes {n, value} (put_result)
.macro PUT_RESULT n, value
        mov r2, \n
        mov r3, \value
        call put_result
.endm

; OUT_COUNT name, n, what: append the string at `name`, register n in decimal, the string
; at `what`
.macro OUT_COUNT name, n, what
        OUT_TEXT \name
        mov r2, \n
        call out_dec
        OUT_TEXT \what
.endm

; REPORT name, n, what, ok: write the line "<name><n><what> ok" (" FAILED" unless register
; ok is nonzero); r1 = exit code (out_verdict)
.macro REPORT name, n, what, ok
        OUT_COUNT \name, \n, \what
        mov r2, \ok
        call out_verdict
.endm

; REPORT_HEX name, n, what, value, ok: the same with register value in hex after `what`
.macro REPORT_HEX name, n, what, value, ok
        OUT_COUNT \name, \n, \what
        mov r2, \value
        call out_hex
        mov r2, \ok
        call out_verdict
.endm

; REPORT_EQ name, n, what, a, b: the same, the check being register a == register b
.macro REPORT_EQ name, n, what, a, b
        OUT_COUNT \name, \n, \what
        li r2, 0
        cmp \a, \b
        jnz report_eq_\@
        li r2, 1
report_eq_\@:
        call out_verdict
.endm

_start:
        call main
        mov r2, r1
        SYSCALL SYS_EXIT
_start_hang:
        jmp _start_hang

; out_str(r2 = zero-terminated string): append to the line. Clobbers r1-r4.
out_str:
        ld r3, [lbuf_len]
out_str_loop:
        ldb r1, [r2]
        cmpi r1, 0
        jz out_str_done
        stb [r3+lbuf], r1
        addi r3, r3, 1
        addi r2, r2, 1
        jmp out_str_loop
out_str_done:
        st [lbuf_len], r3
        ret

; out_char(r2 = character). Clobbers r3.
out_char:
        ld r3, [lbuf_len]
        stb [r3+lbuf], r2
        addi r3, r3, 1
        st [lbuf_len], r3
        ret

; out_dec(r2 = value, taken as unsigned). Clobbers r1-r5.
out_dec:
        li r4, numbuf + 11
        stb [r4], r0
out_dec_loop:
        subi r4, r4, 1
        ; unsigned r2 / 10: halve first so the signed division sees a non-negative number
        shri r3, r2, 1
        li r5, 5
        div r3, r3, r5                  ; (r2 >>> 1) / 5 = r2 / 10
        muli r5, r3, 10
        sub r5, r2, r5                  ; digit
        addi r5, r5, '0'
        stb [r4], r5
        mov r2, r3
        cmpi r2, 0
        jnz out_dec_loop
        mov r2, r4
        jmp out_str

; out_hex(r2 = value): "0x" and 8 hex digits. Clobbers r1-r5.
out_hex:
        mov r5, r2
        li r2, '0'
        call out_char
        li r2, 'x'
        call out_char
        li r4, 8
out_hex_loop:
        shri r2, r5, 28
        shli r5, r5, 4
        addi r2, r2, '0'
        cmpi r2, '9' + 1
        jl out_hex_digit
        addi r2, r2, 'a' - '0' - 10
out_hex_digit:
        call out_char
        subi r4, r4, 1
        jnz out_hex_loop
        ret

; out_flush(): write the line. Clobbers r1-r3.
out_flush:
        li r2, lbuf
        ld r3, [lbuf_len]
        SYSCALL SYS_WRITE
        st [lbuf_len], r0
        ret

; out_verdict(r2 = 1 if the self-check passed): append " ok\n" or " FAILED\n", write the
; line; r1 = exit code (0 or 1)
out_verdict:
        push r8
        mov r8, r2
        li r2, text_ok
        cmpi r8, 0
        jnz out_verdict_text
        li r2, text_failed
out_verdict_text:
        call out_str
        call out_flush
        li r1, 0
        cmpi r8, 0
        jnz out_verdict_done
        li r1, 1
out_verdict_done:
        pop r8
        ret

; put_result(r2 = n, r3 = value): the result bytes are the two words {n, value}
put_result:
        st [resbuf], r2
        st [resbuf+4], r3
        li r2, resbuf
        li r3, 8
        SYSCALL SYS_RESULT
        ret

        .align 4
lbuf_len:       .word 0
resbuf:         .space 16
numbuf:         .space 12
lbuf:           .space 256
text_ok:        .asciz " ok\n"
text_failed:    .asciz " FAILED\n"
        .align 4
