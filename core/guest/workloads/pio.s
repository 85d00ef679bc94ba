; pio - parallel compute beside disk I/O: `threads` threads each run n iterations of: hash
; PIO_ITEMS items (item k of iteration i of thread t: 16 xorshift rounds from
; (t << 20) + (i << 10) + k + 1) into a sum, write sum ^ word index into the thread's own
; sector (t * 16 + (i & 15)), read it back, verify every word, and add the last word read to
; the thread's total. While one thread waits for the disk the others compute, so the vCPUs
; stay busy while requests complete. The checksum is the sum of the threads' totals, which
; does not depend on how the threads interleave or queue for the disk.
.include "../lib/user.s"
.include "../lib/threads.s"

.equ PIO_ITEMS, 8192

main:
        MAIN_ENTER 5                    ; r8 = n
        mov r9, r2                      ; threads
        st [niters], r8
        li r12, 1
        MARK_START
        li r10, 1
pio_spawn:
        cmp r10, r9
        jge pio_spawned
        li r2, pio_thread
        mov r3, r10
        call thread_spawn
        cmpi r1, 0
        jl pio_failed
        addi r10, r10, 1
        jmp pio_spawn
pio_spawned:
        li r1, 0
        call pio_work
        li r10, 1
pio_join:
        cmp r10, r9
        jge pio_check
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl pio_failed
        addi r10, r10, 1
        jmp pio_join
pio_check:
        ; every thread verified its sectors; the checksum is the sum of their totals
        li r11, 0
        li r10, 0
pio_check_loop:
        cmp r10, r9
        jge pio_done
        shli r1, r10, 2
        ld r2, [r1+oks]
        cmpi r2, 1
        jnz pio_failed
        ld r2, [r1+totals]
        add r11, r11, r2
        addi r10, r10, 1
        jmp pio_check_loop
pio_failed:
        li r12, 0
pio_done:
        MARK_END
        PUT_RESULT r8, r11
        REPORT_HEX text_name, r8, text_what, r11, r12
        MAIN_RETURN 5

pio_thread:
        call pio_work
        li r2, 0
        SYSCALL SYS_EXIT

; pio_work(r1 = thread index): the thread's iterations; its total and ok flag in totals/oks
pio_work:
        push r8
        push r9
        push r10
        push r11
        push r12
        mov r8, r1                      ; t
        li r9, 0                        ; i
        li r11, 0                       ; total
        li r12, 1                       ; ok
        shli r10, r8, 10                ; its buffers: out at bufs + t * 1024, in 512 bytes on
        li r1, bufs
        add r10, r10, r1
pio_iter:
        ld r1, [niters]
        cmp r9, r1
        jge pio_iter_done
        shli r2, r8, 20
        shli r3, r9, 10
        add r2, r2, r3
        addi r2, r2, 1                  ; the seed of item 0
        li r4, 0                        ; k
        li r5, 0                        ; the iteration's sum
pio_items:
        add r3, r2, r4
        li r6, 16
pio_hash:
        shli r7, r3, 13
        xor r3, r3, r7
        shri r7, r3, 17
        xor r3, r3, r7
        shli r7, r3, 5
        xor r3, r3, r7
        subi r6, r6, 1
        jnz pio_hash
        add r5, r5, r3
        addi r4, r4, 1
        cmpi r4, PIO_ITEMS
        jl pio_items
        li r4, 0
pio_fill:
        shri r6, r4, 2
        xor r6, r6, r5
        add r7, r10, r4
        st [r7], r6
        addi r4, r4, 4
        cmpi r4, SECTOR_SIZE
        jl pio_fill
        andi r2, r9, 15
        shli r3, r8, 4
        add r2, r2, r3                  ; sector t * 16 + (i & 15)
        push r2
        mov r3, r10
        SYSCALL SYS_DISK_WRITE
        pop r2
        cmpi r1, 0
        jnz pio_bad
        addi r3, r10, SECTOR_SIZE
        SYSCALL SYS_DISK_READ
        cmpi r1, 0
        jnz pio_bad
        li r4, 0
pio_verify:
        add r7, r10, r4
        ld r6, [r7]
        ld r7, [r7+SECTOR_SIZE]
        cmp r6, r7
        jnz pio_bad
        addi r4, r4, 4
        cmpi r4, SECTOR_SIZE
        jl pio_verify
        add r11, r11, r7                ; the last word read: the sum ^ 127
        addi r9, r9, 1
        jmp pio_iter
pio_bad:
        li r12, 0
pio_iter_done:
        shli r1, r8, 2
        st [r1+totals], r11
        st [r1+oks], r12
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        ret

        .align 4
niters:         .word 0
totals:         .space 32
oks:            .space 32
text_name:      .asciz "pio: "
text_what:      .asciz " iterations, checksum "
        .align 4
bufs:           .space 8192
