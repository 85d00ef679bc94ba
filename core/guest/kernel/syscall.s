; syscall.s - system calls: int 0x80 with r1 = number, arguments r2, r3, r4; the result
; replaces the caller's r1 (negative = error). Handlers get the arguments in r2, r3, r4 and
; the trap frame in r5, and return the result in r1.

; syscall_dispatch(r1 = trap frame)
syscall_dispatch:
        push r8
        mov r8, r1
        ld r1, [r8+TF_R1]
        cmpi r1, NSYSCALLS
        jae syscall_bad                 ; unsigned: negative numbers too
        shli r1, r1, 2
        ld r6, [r1+syscall_table]
        ld r2, [r8+TF_R2]
        ld r3, [r8+TF_R3]
        ld r4, [r8+TF_R4]
        mov r5, r8
        callr r6
        st [r8+TF_R1], r1
        pop r8
        ret
syscall_bad:
        li r1, ENOSYS
        st [r8+TF_R1], r1
        pop r8
        ret

sys_none:
        li r1, ENOSYS
        ret

; exit(code)
sys_exit:
        mov r1, r2
        call proc_exit

; getpid() -> pid
sys_getpid:
        CUR_PROC r1
        ld r1, [r1+P_PID]
        ret

; yield() -> 0
sys_yield:
        call yield
        li r1, 0
        ret

; fork() -> child pid in the parent, 0 in the child
sys_fork:
        call proc_fork
        ret

; ncpus() -> the CPUs the kernel started
sys_ncpus:
        ld r1, [ncpus]
        ret

; clone(entry, stack top, argument) -> the new thread's pid (see proc_clone)
sys_clone:
        call proc_clone
        ret

; getparam() -> n from the boot info
sys_getparam:
        ld r1, [boot_param]
        ret

; write(buffer, length) -> length: console output, through a kernel buffer
sys_write:
        push r8
        push r9
        push r10
        mov r8, r2
        mov r9, r3
        call user_ok
        cmpi r1, 0
        jz sys_write_fault
        mov r10, r9
sys_write_chunk:
        cmpi r9, 0
        jle sys_write_done
        mov r4, r9
        cmpi r4, KBUF_SIZE
        jl sys_write_copy
        li r4, KBUF_SIZE
sys_write_copy:
        sub r9, r9, r4
        push r4
        li r2, KBUF
        mov r3, r8
        add r8, r8, r4
        call memcpy
        pop r3
        li r2, KBUF
        CONSOLE_WRITE
        jmp sys_write_chunk
sys_write_done:
        mov r1, r10
        jmp sys_write_out
sys_write_fault:
        li r1, EFAULT
sys_write_out:
        pop r10
        pop r9
        pop r8
        ret

; mark(1 | 2) -> 0: the measured-region marker
sys_mark:
        cmpi r2, 1
        jz sys_mark_ok
        cmpi r2, 2
        jnz sys_mark_bad
sys_mark_ok:
        MARK r2
        li r1, 0
        ret
sys_mark_bad:
        li r1, EINVAL
        ret

; result(buffer, length) -> 0: the workload's result bytes into the RESULT page
sys_result:
        cmpi r3, RES_MAX
        jg sys_result_bad
        push r2
        push r3
        call user_ok
        pop r4
        pop r3
        cmpi r1, 0
        jz sys_result_fault
        st [RESULT+RES_LEN], r4
        li r2, RESULT + RES_BYTES
        call memcpy
        li r1, 0
        ret
sys_result_bad:
        li r1, EINVAL
        ret
sys_result_fault:
        li r1, EFAULT
        ret

; disk_read(sector, buffer) / disk_write(sector, buffer) -> 0, or a negative error
sys_disk_read:
        mov r4, r3
        mov r3, r2
        li r2, BLK_READ
        jmp disk_io
sys_disk_write:
        mov r4, r3
        mov r3, r2
        li r2, BLK_WRITE
        jmp disk_io

; kbench(kind, n) -> a count (see dev.s)
sys_kbench:
        jmp kbench
