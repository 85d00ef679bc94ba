; lib.s - memory and string helpers, and panic. Calling convention of the whole kernel:
; arguments in r1..r5 (or as documented), result in r1; r1-r7 are caller-saved,
; r8-r14 callee-saved; sp = r15.

; memzero(r2 = address, r3 = length, a multiple of 16, address word-aligned); clobbers r2, r3
memzero:
        cmpi r3, 0
        jz memzero_done
memzero_loop:
        st [r2], r0
        st [r2+4], r0
        st [r2+8], r0
        st [r2+12], r0
        addi r2, r2, 16
        subi r3, r3, 16
        jnz memzero_loop
memzero_done:
        ret

; memcpy(r2 = destination, r3 = source, r4 = length in bytes); words first, then bytes.
; Clobbers r1-r4. Either side may be a user address (page faults are handled).
memcpy:
        cmpi r4, 16
        jl memcpy_words
memcpy_block:
        ld r1, [r3]
        st [r2], r1
        ld r1, [r3+4]
        st [r2+4], r1
        ld r1, [r3+8]
        st [r2+8], r1
        ld r1, [r3+12]
        st [r2+12], r1
        addi r2, r2, 16
        addi r3, r3, 16
        subi r4, r4, 16
        cmpi r4, 16
        jge memcpy_block
memcpy_words:
        cmpi r4, 4
        jl memcpy_bytes
        ld r1, [r3]
        st [r2], r1
        addi r2, r2, 4
        addi r3, r3, 4
        subi r4, r4, 4
        jmp memcpy_words
memcpy_bytes:
        cmpi r4, 0
        jle memcpy_done
        ldb r1, [r3]
        stb [r2], r1
        addi r2, r2, 1
        addi r3, r3, 1
        subi r4, r4, 1
        jmp memcpy_bytes
memcpy_done:
        ret

; strlen(r2 = string) -> r1; clobbers r3
strlen:
        mov r1, r2
strlen_loop:
        ldb r3, [r1]
        cmpi r3, 0
        jz strlen_done
        addi r1, r1, 1
        jmp strlen_loop
strlen_done:
        sub r1, r1, r2
        ret

; kputs(r2 = string): console output; clobbers r1-r4
kputs:
        call strlen
        mov r3, r1
        CONSOLE_WRITE
        ret

; panic(r1 = reason): prints "panic: <reason>\n" and powers off with EXIT_PANIC. Never returns.
panic:
        IRQ_DISABLE r2
        mov r8, r1
        li r2, msg_panic
        call kputs
        mov r2, r8
        call kputs
        li r2, msg_newline
        call kputs
        li r1, EXIT_PANIC
        POWER_OFF r1
panic_hang:
        jmp panic_hang
