; io - write n sectors (0 .. n-1) with a pattern, read them back and verify every word.
; Word j of sector s is (s << 16) ^ j ^ 0x5a5a0000. Result: the sum of all words read.
; Other system calls: mark x2, write, result, exit (5).
.include "../lib/user.s"

main:
        MAIN_ENTER 4                    ; r8 = n
        li r11, 1                       ; ok
        li r10, 0                       ; checksum
        MARK_START
        li r9, 0
io_write:
        cmp r9, r8
        jge io_written
        mov r2, r9
        call io_pattern
        mov r2, r9
        li r3, sector_out
        SYSCALL SYS_DISK_WRITE
        cmpi r1, 0
        jnz io_failed
        addi r9, r9, 1
        jmp io_write
io_written:
        li r9, 0
io_read:
        cmp r9, r8
        jge io_done
        mov r2, r9
        li r3, sector_in
        SYSCALL SYS_DISK_READ
        cmpi r1, 0
        jnz io_failed
        mov r2, r9
        call io_pattern
        li r2, 0
io_verify:
        ld r3, [r2+sector_in]
        ld r4, [r2+sector_out]
        cmp r3, r4
        jnz io_failed
        add r10, r10, r3
        addi r2, r2, 4
        cmpi r2, SECTOR_SIZE
        jl io_verify
        addi r9, r9, 1
        jmp io_read
io_failed:
        li r11, 0
io_done:
        MARK_END
        PUT_RESULT r8, r10
        REPORT text_name, r8, text_what, r11
        MAIN_RETURN 4

; io_pattern(r2 = sector): fill sector_out
io_pattern:
        shli r3, r2, 16
        xori r3, r3, 0x5a5a0000
        li r4, 0
io_pattern_loop:
        shri r1, r4, 2
        xor r1, r1, r3
        st [r4+sector_out], r1
        addi r4, r4, 4
        cmpi r4, SECTOR_SIZE
        jl io_pattern_loop
        ret

text_name:      .asciz "io: "
text_what:      .asciz " sectors written and read back"
        .align 4
sector_out:     .space SECTOR_SIZE
sector_in:      .space SECTOR_SIZE
