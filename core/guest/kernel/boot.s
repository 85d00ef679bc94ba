; boot.s - from reset to the first user process.
; Entered at pc = 0 with paging off and interrupts disabled. Page tables are written with
; plain stores here: none of them is in use until ENABLE_PAGING (under a hypervisor,
; new_baseptr validates them then).

boot:
        rdpid r1                        ; a secondary CPU started at the reset vector
        cmpi r1, 0
        jnz ap_start
        li sp, BOOT_STACK_TOP
        IRQ_DISABLE r2
        ld r1, [BOOT_INFO+BI_MAGIC]
        li r2, BOOT_MAGIC
        cmp r1, r2
        jnz boot_bad_info
        ; usable memory: whole pages, at most MEM_MAX, more than the kernel region
        ld r9, [BOOT_INFO+BI_MEM_SIZE]
        andi r9, r9, PTE_FRAME
        li r2, MEM_MAX
        cmp r9, r2
        jb boot_mem_capped
        mov r9, r2
boot_mem_capped:
        li r2, FRAME_POOL + 16 * PAGE_SIZE
        cmp r9, r2
        jb boot_bad_info
        ; the system-call entry page user programs call
        li r2, VSYSCALL_PAGE
        li r3, vsyscall_code
        li r4, vsyscall_code_end - vsyscall_code
        call memcpy
        ; kernel variables, process table and the result header start at zero
        li r2, KDATA
        li r3, 2 * PAGE_SIZE
        call memzero
        li r2, RESULT
        li r3, 16
        call memzero
        st [mem_end], r9
        li r1, FRAME_POOL
        st [frame_bump], r1
        li r1, 1
        st [next_pid], r1
        ld r1, [BOOT_INFO+BI_PARAM]
        st [boot_param], r1
        li r1, 0
        call percpu_init
        call klock_acquire              ; held until process 1 first returns to user mode
        call boot_page_tables
        INSTALL_TRAPS
        li r1, KPD
        ENABLE_PAGING r1, r2
        IRQ_CONTROLLER_INIT r1
        call proc_create_init
        ld r2, [BOOT_INFO+BI_HZ]    ; the tick rate: period = 1000000 / hz microseconds
        li r1, 1000000
        div r1, r1, r2
        TIMER_SET r1
        call smp_boot
        jmp proc_start_first

boot_bad_info:
        li r1, msg_bad_boot_info
        jmp panic

; Build the kernel's page tables (physical addresses, paging off):
;   KPT:  0-4 MiB identity, supervisor read/write (shared by every page directory)
;   DMPT: all of memory at PHYS_OFFSET (the direct map), supervisor read/write
;   KPD:  the kernel's page directory referencing both
boot_page_tables:
        ; identity map of the first 4 MiB
        li r1, KPT
        li r2, PTE_P | PTE_W
        li r3, 1024
bpt_identity:
        st [r1], r2
        addi r1, r1, 4
        addi r2, r2, PAGE_SIZE
        subi r3, r3, 1
        jnz bpt_identity
        ; the vsyscall page is the one page of the first 4 MiB user code may read (and run)
        li r1, VSYSCALL_PAGE | PTE_P | PTE_U
        st [KPT + (VSYSCALL_PAGE >> 10)], r1
        ; direct map: one entry per page of memory, the rest of the last table empty
        ld r3, [mem_end]
        shri r3, r3, 12                 ; pages
        addi r4, r3, 1023
        shri r4, r4, 10                 ; tables
        st [direct_tables], r4
        li r1, DMPT
        li r2, PTE_P | PTE_W
bpt_direct:
        st [r1], r2
        addi r1, r1, 4
        addi r2, r2, PAGE_SIZE
        subi r3, r3, 1
        jnz bpt_direct
        shli r5, r4, 12
        addi r5, r5, DMPT               ; end of the last table
bpt_direct_rest:
        cmp r1, r5
        jae bpt_directory
        st [r1], r0
        addi r1, r1, 4
        jmp bpt_direct_rest
bpt_directory:
        li r2, KPD
        li r3, PAGE_SIZE
        call memzero
        li r1, KPT | PTE_P | PTE_W | PTE_U   ; user bit: only the vsyscall page's entry has it too
        st [KPD], r1
        li r1, KPD + PHYS_PDE * 4
        li r2, DMPT | PTE_P | PTE_W
bpt_directory_loop:
        st [r1], r2
        addi r1, r1, 4
        addi r2, r2, PAGE_SIZE
        subi r4, r4, 1
        jnz bpt_directory_loop
        ret
