; hypercalls.s - the paravirtual interface between the kernel (ring 1) and the hypervisor.
; Only .equ lines. `vmcall` with r1 = number, arguments in r2..r5; the result comes back
; in r1 (negative = error); every other register is preserved. Addresses are kernel
; virtual unless the name says physical. See core/guest/README.md.

.equ HC_SET_TRAP_TABLE,   1   ; (list of {vector, handler, dpl} words, count)
.equ HC_MMU_UPDATE,       2   ; (list of {pte physical address, new value} pairs, count)
.equ HC_NEW_BASEPTR,      3   ; (page-directory physical address): load it, enable paging
.equ HC_INVLPG,           4   ; (virtual address)
.equ HC_SET_TIMER,        5   ; (period in time units; 0 stops)
.equ HC_CONSOLE_WRITE,    6   ; (buffer, length)
.equ HC_BLOCK_IO,         7   ; (command 1 read / 2 write, sector, physical buffer): completes with event 2
.equ HC_SCHED_BLOCK,      8   ; clear the event mask and wait for an event (like sti; hlt)
.equ HC_MULTICALL,        9   ; (list of {op, arg1, arg2, arg3, arg4}, count): results replace op
.equ HC_STACK_SWITCH,     10  ; (ring-1 kernel stack pointer for traps from ring 3)
.equ HC_MARK,             11  ; (1 start | 2 end of the measured region)
.equ HC_SHUTDOWN,         12  ; (exit code)
.equ HC_EOI,              13  ; (irq)
.equ HC_SET_CALLBACKS,    14  ; (event upcall entry address)
; the hypercall page (hypervisor-provided code, read-only, in the hypervisor's range)
.equ HYPERCALL_PAGE,      0xffc01000
.equ HP_TRAP_RETURN,      HYPERCALL_PAGE + 0   ; return from a trap frame [r1, err, pc, cs, flags, sp]
.equ HC_IRET,             15  ; return from a trap or upcall frame: stack = [r1, pc, cs, flags, sp]
.equ HC_CONSOLE_STATUS,   17  ; () -> console status (1 = ready)
.equ HC_SET_TPR,          18  ; (task priority)
.equ HC_FORCE_EVENT,      19  ; no-op; its return delivers pending unmasked events
.equ HC_SEND_IPI,         20  ; (vCPU, line): raise the virtual IRQ line on that vCPU (an event-channel send)
.equ HC_VCPU_UP,          21  ; (vCPU, entry): start a vCPU waiting since boot at entry, ring 1, on the caller's page directory, events masked
.equ HC_TLB_FLUSH_MULTI,  22  ; (vCPU mask, virtual address): flush that page from those vCPUs' TLBs (mmuext_op TLB_FLUSH_MULTI / INVLPG_MULTI)
.equ HC_SET_SYSENTER,    23  ; (entry): SYSENTER enters the kernel there, ring 1, stack_switch stack, events masked (CALLBACKTYPE_sysenter)

; shared-info page (at SHARED_INFO, kernel virtual = guest physical): one vcpu_info of
; VCPU_INFO_SIZE bytes per vCPU (add vCPU * VCPU_INFO_SIZE to the SI_ addresses), and the
; block status in vCPU 0's
.equ VCPU_INFO_SHIFT,     5
.equ VCPU_INFO_SIZE,      32
.equ SI_MASK,             SHARED_INFO + 0    ; non-zero = events (virtual interrupts) masked
.equ SI_PENDING,          SHARED_INFO + 4    ; bit n = virtual IRQ n pending (hypervisor-written)
.equ SI_CR2,              SHARED_INFO + 8    ; fault address of the last page fault
.equ SI_BLOCK_STATUS,     SHARED_INFO + 12   ; status of the last completed block request (vCPU 0's info only)

.equ MMU_BATCH_MAX,       32                 ; page-table updates queued per mmu_update
