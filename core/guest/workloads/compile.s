; compile - a compile-like mix, per iteration i: compute (256 hash steps), three system
; calls (getpid, getparam, yield), grow the heap by a page and touch it, write sector
; (i & 63) with data derived from the hash, read it back and xor its last word into the
; generator's state. Result: the hash.
; Other system calls: mark x2, write, result, exit (5).
.include "../lib/user.s"

main:
        MAIN_ENTER 5                    ; r8 = n
        li r10, FNV_OFFSET              ; hash
        li r11, 0x2545f491              ; xorshift state
        li r12, 1                       ; ok
        MARK_START
        li r9, 0
compile_loop:
        cmp r9, r8
        jge compile_done
        ; compute
        mov r2, r10
        mov r3, r11
        li r4, 256
        call mix_steps
        mov r10, r1
        mov r11, r2
        ; system calls
        SYSCALL SYS_GETPID
        cmpi r1, 1
        jnz compile_failed
        SYSCALL SYS_GETPARAM
        cmp r1, r8
        jnz compile_failed
        SYSCALL SYS_YIELD
        ; memory: a new heap page, touched once
        li r2, PAGE_SIZE
        SYSCALL SYS_SBRK
        cmpi r1, 0
        jl compile_failed
        st [r1], r10
        ld r2, [r1]
        cmp r2, r10
        jnz compile_failed
        ; disk: write a sector of words (hash + j), read it back
        li r2, 0
compile_fill:
        add r1, r10, r2
        st [r2+sector_out], r1
        addi r2, r2, 4
        cmpi r2, SECTOR_SIZE
        jl compile_fill
        andi r2, r9, 63
        li r3, sector_out
        SYSCALL SYS_DISK_WRITE
        cmpi r1, 0
        jnz compile_failed
        andi r2, r9, 63
        li r3, sector_in
        SYSCALL SYS_DISK_READ
        cmpi r1, 0
        jnz compile_failed
        li r2, 0
compile_verify:
        ld r3, [r2+sector_in]
        ld r4, [r2+sector_out]
        cmp r3, r4
        jnz compile_failed
        addi r2, r2, 4
        cmpi r2, SECTOR_SIZE
        jl compile_verify
        ld r3, [sector_in+SECTOR_SIZE-4]
        xor r11, r11, r3                ; the data read back perturbs the generator
        addi r9, r9, 1
        jmp compile_loop
compile_failed:
        li r12, 0
compile_done:
        MARK_END
        PUT_RESULT r8, r10
        REPORT_HEX text_name, r8, text_what, r10, r12
        MAIN_RETURN 5

text_name:      .asciz "compile: "
text_what:      .asciz " iterations, checksum "
        .align 4
sector_out:     .space SECTOR_SIZE
sector_in:      .space SECTOR_SIZE

.include "../lib/hash.s"
