; mm.s - physical frames, address spaces (page directory + one user page table per
; process), the fork copy, demand-zero page faults, the break.
; The kernel reaches any physical address p at p + PHYS_OFFSET (the direct map).

; ---- frames -------------------------------------------------------------------------------

; frame_alloc() -> r1 = physical address of a free frame, or 0. Keeps other registers.
frame_alloc:
        push r2
        IRQ_SAVE r2
        ld r1, [frame_free]
        cmpi r1, 0
        jz frame_alloc_bump
        ld r2, [r1+PHYS_OFFSET]         ; the free list is linked through the frames
        st [frame_free], r2
        jmp frame_alloc_done
frame_alloc_bump:
        ld r1, [frame_bump]
        ld r2, [mem_end]
        cmp r1, r2
        jae frame_alloc_none
        addi r2, r1, PAGE_SIZE
        st [frame_bump], r2
        jmp frame_alloc_done
frame_alloc_none:
        li r1, 0
frame_alloc_done:
        IRQ_RESTORE r2
        pop r2
        ret

; frame_alloc_zeroed() -> r1 = a zeroed frame, or 0. Clobbers r2, r3.
frame_alloc_zeroed:
        call frame_alloc
        cmpi r1, 0
        jz frame_alloc_zeroed_done
        addi r2, r1, PHYS_OFFSET
        li r3, PAGE_SIZE
        call memzero
frame_alloc_zeroed_done:
        ret

; frame_release(r1 = frame). Keeps other registers.
frame_release:
        push r2
        IRQ_SAVE r2
        ld r2, [frame_free]
        st [r1+PHYS_OFFSET], r2
        st [frame_free], r1
        IRQ_RESTORE r2
        pop r2
        ret

; ---- address spaces ------------------------------------------------------------------------

; as_create() -> r1 = page directory, r2 = user page table (physical), or r1 = 0.
; The directory shares the kernel's entries (KPT, direct map) with KPD.
as_create:
        push r8
        push r9
        call frame_alloc_zeroed
        cmpi r1, 0
        jz as_create_done
        mov r8, r1
        call frame_alloc_zeroed
        cmpi r1, 0
        jz as_create_nomem
        mov r9, r1
        PTE_BATCH_BEGIN
        ld r2, [KPD]
        PTE_SET r8, r2
        ld r3, [direct_tables]
        li r4, PHYS_PDE * 4
as_create_kernel:
        ld r2, [r4+KPD]
        add r5, r8, r4
        PTE_SET r5, r2
        addi r4, r4, 4
        subi r3, r3, 1
        jnz as_create_kernel
        ori r2, r9, PTE_P | PTE_W | PTE_U
        addi r5, r8, USER_PDE * 4
        PTE_SET r5, r2
        PTE_BATCH_END
        mov r1, r8
        mov r2, r9
        jmp as_create_done
as_create_nomem:
        mov r1, r8
        call frame_release
        li r1, 0
as_create_done:
        pop r9
        pop r8
        ret

; as_destroy(r1 = process): free its user pages, user page table and page directory.
; The process's directory must not be the current one.
as_destroy:
        push r8
        push r9
        push r10
        mov r10, r1
        ld r8, [r10+P_PT]
        li r9, 0
as_destroy_loop:
        add r2, r8, r9
        ld r1, [r2+PHYS_OFFSET]
        andi r2, r1, PTE_P
        jz as_destroy_next
        andi r1, r1, PTE_FRAME
        call frame_release
as_destroy_next:
        addi r9, r9, 4
        cmpi r9, PAGE_SIZE
        jb as_destroy_loop
        mov r1, r8
        call frame_release
        ld r1, [r10+P_PD]
        call frame_release
        st [r10+P_PD], r0
        st [r10+P_PT], r0
        pop r10
        pop r9
        pop r8
        ret

; as_copy_user(r1 = parent, r2 = child) -> r1 = 0, or -1 when out of memory (the child's
; page table then holds what was copied so far). Copies every present user page.
as_copy_user:
        push r8
        push r9
        push r10
        push r11
        push r12
        ld r8, [r1+P_PT]
        ld r9, [r2+P_PT]
        li r10, 0
        PTE_BATCH_BEGIN
as_copy_loop:
        add r1, r8, r10
        ld r11, [r1+PHYS_OFFSET]
        andi r1, r11, PTE_P
        jz as_copy_next
        call frame_alloc
        cmpi r1, 0
        jz as_copy_nomem
        mov r12, r1
        addi r2, r12, PHYS_OFFSET
        andi r3, r11, PTE_FRAME
        addi r3, r3, PHYS_OFFSET
        li r4, PAGE_SIZE
        call memcpy
        andi r2, r11, PTE_P | PTE_W | PTE_U
        or r2, r2, r12
        add r1, r9, r10
        PTE_SET r1, r2
as_copy_next:
        addi r10, r10, 4
        cmpi r10, PAGE_SIZE
        jb as_copy_loop
        li r8, 0
        jmp as_copy_done
as_copy_nomem:
        li r8, -1
as_copy_done:
        PTE_BATCH_END
        mov r1, r8
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        ret

; as_unmap(r1 = start, r2 = end): unmap and free the current process's pages in [start, end)
; (page-aligned).
as_unmap:
        push r8
        push r9
        push r10
        mov r8, r1
        mov r9, r2
as_unmap_loop:
        cmp r8, r9
        jae as_unmap_done
        CUR_PROC r1
        ld r10, [r1+P_PT]
        shri r1, r8, 10
        andi r1, r1, 0xffc
        add r10, r10, r1                ; physical address of the entry
        ld r1, [r10+PHYS_OFFSET]
        andi r2, r1, PTE_P
        jz as_unmap_next
        push r1
        PTE_SET r10, r0
        TLB_FLUSH_PAGE r8
        mov r1, r8
        call tlb_shootdown
        pop r1
        andi r1, r1, PTE_FRAME
        call frame_release
as_unmap_next:
        addi r8, r8, PAGE_SIZE
        jmp as_unmap_loop
as_unmap_done:
        pop r10
        pop r9
        pop r8
        ret

; user_ok(r2 = address, r3 = length) -> r1 = 1 if [address, address + length) lies in the
; current process's image and heap or in its stack region. Clobbers r4, r5.
user_ok:
        li r1, 0
        cmpi r3, 0
        jl user_ok_done
        add r4, r2, r3                  ; end
        cmp r4, r2
        jb user_ok_done                 ; wrapped
        li r1, 1
        cmpi r3, 0
        jz user_ok_done
        li r1, 0
        li r5, USER_BASE
        cmp r2, r5
        jb user_ok_done
        CUR_MM r5
        ld r5, [r5+P_BRK]
        cmp r5, r4
        jae user_ok_yes
        li r5, STACK_BOTTOM
        cmp r2, r5
        jb user_ok_done
        li r5, STACK_TOP
        cmp r5, r4
        jb user_ok_done
user_ok_yes:
        li r1, 1
user_ok_done:
        ret

; ---- page faults ----------------------------------------------------------------------------

; page_fault(r1 = trap frame): demand-zero pages for the heap and the stack; anything else
; kills a user process or panics the kernel.
page_fault:
        push r8
        push r9
        mov r8, r1
        READ_CR2 r9
        ld r1, [r8+TF_ERR]
        andi r1, r1, PF_PRESENT
        jnz page_fault_bad
        CUR_MM r2
        ld r1, [r2+P_HEAP]
        cmp r9, r1
        jb page_fault_stack
        ld r1, [r2+P_BRK]
        cmp r9, r1
        jb page_fault_map
page_fault_stack:
        li r1, STACK_BOTTOM
        cmp r9, r1
        jb page_fault_bad
        li r1, STACK_TOP
        cmp r9, r1
        jae page_fault_bad
page_fault_map:
        call frame_alloc_zeroed
        cmpi r1, 0
        jz page_fault_bad
        ori r3, r1, PTE_P | PTE_W | PTE_U
        CUR_PROC r2
        ld r2, [r2+P_PT]
        shri r1, r9, 10
        andi r1, r1, 0xffc
        add r2, r2, r1
        PTE_SET r2, r3
        pop r9
        pop r8
        ret
page_fault_bad:
        ld r1, [r8+TF_CS]
        cmpi r1, 3
        jnz page_fault_kernel
        li r1, EXIT_KILLED
        call proc_exit
page_fault_kernel:
        li r1, msg_kernel_pf
        jmp panic

; ---- the break --------------------------------------------------------------------------------

; sys_sbrk(r2 = increment) -> old break, or ENOMEM. Shrinking frees whole pages.
sys_sbrk:
        push r8
        push r9
        CUR_MM r3
        ld r8, [r3+P_BRK]               ; old
        add r9, r8, r2                  ; new
        ld r4, [r3+P_HEAP]
        cmp r9, r4
        jb sys_sbrk_nomem
        li r4, STACK_BOTTOM
        cmp r4, r9
        jb sys_sbrk_nomem
        cmpi r2, 0
        jl sys_sbrk_wrapcheck
        cmp r9, r8
        jb sys_sbrk_nomem
        jmp sys_sbrk_set
sys_sbrk_wrapcheck:
        cmp r8, r9
        jb sys_sbrk_nomem
sys_sbrk_set:
        st [r3+P_BRK], r9
        cmp r9, r8
        jae sys_sbrk_old
        ; shrink: free the pages wholly above the new break
        addi r1, r9, PAGE_SIZE - 1
        andi r1, r1, PTE_FRAME
        addi r2, r8, PAGE_SIZE - 1
        andi r2, r2, PTE_FRAME
        call as_unmap
sys_sbrk_old:
        mov r1, r8
        jmp sys_sbrk_done
sys_sbrk_nomem:
        li r1, ENOMEM
sys_sbrk_done:
        pop r9
        pop r8
        ret
