; layout.s - the kernel's constants: memory map, boot protocol, structure offsets.
; Only .equ lines: no code or data. See core/guest/README.md for the ABI.

; ---- boot protocol (physical addresses, written by the loader) ------------------------
.equ BOOT_INFO,          0x00100000
.equ BI_MAGIC,           0              ; 0x52494e47 'RING'
.equ BI_PROG_ADDR,       4              ; physical address of the program image
.equ BI_PROG_SIZE,       8              ; its size in bytes
.equ BI_PARAM,           12             ; n, passed to process 1 in r1
.equ BI_MEM_SIZE,        16             ; physical memory in bytes
.equ BI_FLAGS,           20             ; bit 0 = paravirtual build, bit 1 = a user's kernel (loader only)
.equ BI_HZ,              24             ; timer interrupts per second (boot parameter hz)
.equ BI_CPUS,            28             ; CPUs to start (boot parameter cpus)
.equ BI_THREADS,         32             ; the workload's threads parameter, passed to process 1 in r2
.equ BOOT_MAGIC,         0x52494e47

.equ RESULT,             0x00101000     ; written by the kernel
.equ RES_LEN,            0              ; number of result bytes
.equ RES_EXIT,           4              ; exit code of process 1
.equ RES_NPROCS,         8              ; processes created
.equ RES_BYTES,          16             ; the bytes (RES_MAX of them at most)
.equ RES_MAX,            4000

.equ PROG_PHYS,          0x00200000     ; where the loader puts the program image
.equ PROG_MAX,           0x00100000

; ---- kernel region 0x00300000-0x003fffff (identity-mapped, supervisor only) ----------
.equ KPT,                0x00300000     ; page table of the first 4 MiB (shared by every directory)
.equ KPD,                0x00301000     ; the kernel's own page directory (boot, exited processes)
.equ IDT,                0x00302000     ; 256 gates of 8 bytes
.equ KDATA,              0x00303000     ; kernel variables (below)
.equ PROCS,              0x00304000     ; process table
.equ BOUNCE,             0x00305000     ; disk DMA bounce buffer (one sector)
.equ KBUF,               0x00306000     ; copy buffer for write() (one page)
.equ KBUF_SIZE,          4096
.equ PVBUF,              0x00307000     ; paravirtual: batch, multicall and trap-table buffers
.equ PERCPU,             0x00308000     ; per-CPU data, PC_SIZE bytes per CPU (below)
.equ DMPT,               0x00310000     ; page tables of the direct map (16 = 64 MiB)
.equ DMPT_MAX,           16
.equ KSTACKS,            0x00320000     ; kernel stacks, KSTACK_SIZE per process slot
.equ KSTACK_SIZE,        0x1000
.equ BOOT_STACK_TOP,     0x00331000
.equ IDLE_STACKS,        0x00340000     ; each CPU's idle context: one page per CPU
.equ VSYSCALL_PAGE,      0x003fc000     ; the system-call entry code user programs call (user-readable)
.equ SCRATCH_VA,         0x003fe000     ; kbench ptemod: the page whose entry is rewritten
.equ SCRATCH_FRAME_A,    0x003fe000
.equ SCRATCH_FRAME_B,    0x003fd000
.equ SHARED_INFO,        0x003ff000     ; paravirtual shared-info page (guest physical = virtual)
.equ KERNEL_END,         0x00400000
.equ FRAME_POOL,         0x00400000     ; first frame of the allocator's pool

; all of physical memory is also mapped at PHYS_OFFSET (kernel only), like Linux lowmem
.equ PHYS_OFFSET,        0xc0000000
.equ PHYS_PDE,           0x300          ; PHYS_OFFSET >> 22
.equ MEM_MAX,            0x04000000     ; 64 MiB: DMPT_MAX tables

; ---- user address space ----------------------------------------------------------------
.equ USER_BASE,          0x00400000     ; program image, then the heap
.equ USER_PDE,           1              ; USER_BASE >> 22: user space is one page table
.equ STACK_TOP,          0x00800000
.equ STACK_MAX,          0x00010000
.equ STACK_BOTTOM,       0x007f0000     ; STACK_TOP - STACK_MAX

; ---- paging -----------------------------------------------------------------------------
.equ PAGE_SIZE,          4096
.equ PTE_P,              1
.equ PTE_W,              2
.equ PTE_U,              4
.equ PTE_A,              0x20
.equ PTE_D,              0x40
.equ PTE_FRAME,          0xfffff000
.equ PF_PRESENT,         1              ; page-fault error code bits
.equ PF_WRITE,           2
.equ PF_USER,            4

; ---- flags and gates --------------------------------------------------------------------
.equ FL_IF,              0x200
.equ GATE_P,             1
.equ GATE_DPL3,          6              ; dpl 3 << 1
.equ GATE_TRAP,          0x20           ; keep IF on entry

; ---- devices (the timer is programmed in microseconds) -------------------------------
.equ PORT_PIC_CMD,       0x20
.equ PORT_PIC_MASK,      0x21
.equ PORT_TIMER,         0x40
.equ PORT_MARK,          0xf0
.equ PORT_POWER,         0xf4
.equ PORT_BLK_SECTOR,    0x1f0
.equ PORT_BLK_ADDR,      0x1f1
.equ PORT_BLK_CMD,       0x1f2
.equ PORT_CON_DATA,      0x3f8
.equ PORT_CON_STATUS,    0x3f9
.equ IRQ_TIMER,          0
.equ IRQ_BLOCK,          2
.equ IRQ_RESCHED,        3              ; inter-processor: reschedule
.equ IRQ_CALL,           4              ; inter-processor: a request in PC_CALL (TLB flush, ping)
.equ IRQ_MASK,           0xe2           ; lines 0 (timer), 2 (disk), 3 and 4 (IPIs) enabled
.equ PORT_ICR,           0x24           ; the local interrupt controller's interrupt command register
.equ ICR_INIT,           0x500
.equ ICR_STARTUP,        0x600
.equ ICR_DEST_SHIFT,     16
.equ BLK_READ,           1
.equ BLK_WRITE,          2
.equ BLK_ERROR,          2
.equ SECTOR_SIZE,        512

; ---- vectors ------------------------------------------------------------------------------
.equ VEC_DE,             0
.equ VEC_UD,             6
.equ VEC_DF,             8
.equ VEC_GP,             13
.equ VEC_PF,             14
.equ VEC_IRQ0,           0x20
.equ VEC_TIMER,          0x20
.equ VEC_CONSOLE,        0x21
.equ VEC_BLOCK,          0x22
.equ VEC_RESCHED,        0x23
.equ VEC_CALL,           0x24
.equ VEC_SYSCALL,        0x80
.equ VEC_UPCALL,         0x100          ; not a hardware vector: the paravirtual event upcall
.equ VEC_SYSENTER,       0x101          ; not a hardware vector: a system call entered by SYSENTER

; ---- trap frame (on the kernel stack; offsets from the frame pointer) -------------------
; pushed by the CPU (or the hypervisor): sp, flags, cs, pc, [error code]
; pushed by the entry stub: error code 0 if the CPU pushed none, r1; then r2..r14, vector
.equ TF_VEC,             0
.equ TF_R14,             4
.equ TF_R13,             8
.equ TF_R12,             12
.equ TF_R11,             16
.equ TF_R10,             20
.equ TF_R9,              24
.equ TF_R8,              28
.equ TF_R7,              32
.equ TF_R6,              36
.equ TF_R5,              40
.equ TF_R4,              44
.equ TF_R3,              48
.equ TF_R2,              52
.equ TF_R1,              56
.equ TF_ERR,             60
.equ TF_PC,              64
.equ TF_CS,              68
.equ TF_FLAGS,           72
.equ TF_SP,              76
.equ TF_SIZE,            80
.equ SWITCH_FRAME,       32             ; r8..r14 and the return address saved by swtch

; ---- processes ----------------------------------------------------------------------------
.equ NPROC,              16
.equ P_STATE,            0
.equ P_PID,              4
.equ P_PARENT,           8              ; parent's process structure (0 for process 1)
.equ P_KSP,              12             ; saved kernel stack pointer (while switched out)
.equ P_PD,               16             ; page directory (physical)
.equ P_PT,               20             ; user page table (physical)
.equ P_BRK,              24             ; current break
.equ P_HEAP,             28             ; start of the heap (end of the image, page-rounded)
.equ P_EXIT,             32             ; exit code (zombie)
.equ P_KSTACK,           36             ; top of its kernel stack
.equ P_CHAN,             40             ; what it sleeps on
.equ P_CPU,              44             ; the CPU whose run queue it is on
.equ P_MM,               48             ; the process owning its address space (itself, or a thread's leader)
.equ P_NTHREADS,         52             ; threads sharing its address space still alive (a leader)
.equ P_SIZE,             64
.equ PS_UNUSED,          0
.equ PS_EMBRYO,          1
.equ PS_RUNNABLE,        2
.equ PS_RUNNING,         3
.equ PS_SLEEPING,        4
.equ PS_ZOMBIE,          5

; ---- kernel variables (KDATA) -------------------------------------------------------------
.equ next_pid,           KDATA + 4
.equ nprocs_created,     KDATA + 8
.equ mem_end,            KDATA + 12     ; end of physical memory used
.equ frame_bump,         KDATA + 16     ; next never-used frame
.equ frame_free,         KDATA + 20     ; free list (physical address of the first free frame)
.equ frames_free_count,  KDATA + 24
.equ ticks,              KDATA + 32
.equ disk_busy,          KDATA + 36     ; a process owns the disk
.equ disk_done,          KDATA + 40     ; the outstanding request completed
.equ divide_errors,      KDATA + 44     ; user divide errors skipped
.equ init_proc,          KDATA + 48
.equ boot_param,         KDATA + 52
.equ cr3_shadow,         KDATA + 56     ; paravirtual: the current base pointer
.equ pv_batch_open,      KDATA + 60     ; paravirtual: page-table updates are being queued
.equ pv_batch_count,     KDATA + 64
.equ direct_tables,      KDATA + 68     ; number of direct-map page tables
.equ klock,              KDATA + 72     ; the kernel lock: 0 free, 1 held (by the CPU whose PC_DEPTH > 0)
.equ ncpus,              KDATA + 76     ; CPUs started
.equ next_cpu,           KDATA + 80     ; the run queue the next new process goes to
.equ migrations,         KDATA + 84     ; processes an idle CPU took from another's run queue
.equ cpus_online,        KDATA + 88

; ---- per-CPU data (PERCPU + cpu * PC_SIZE; see percpu.s) ----------------------------------
.equ MAX_CPUS,           8
.equ PC_SHIFT,           6
.equ PC_SIZE,            64
.equ PC_CUR,             0              ; the running process (0: idle)
.equ PC_RESCHED,         4              ; reschedule on the way back to user mode
.equ PC_IDLE_SP,         8              ; the idle context's saved stack pointer
.equ PC_DEPTH,           12             ; kernel-lock nesting depth (0: not held by this CPU)
.equ PC_CALL,            16             ; a request from another CPU: 1 pending, 0 done
.equ PC_CALL_VA,         20             ; its page to flush (-1: a ping, nothing to flush)
.equ PC_MM,              24             ; the page directory loaded on this CPU
.equ PC_CALLS,           28             ; requests served

; ---- system calls and errors ----------------------------------------------------------------
.equ SYS_EXIT,           1
.equ SYS_WRITE,          2
.equ SYS_GETPID,         3
.equ SYS_YIELD,          4
.equ SYS_FORK,           5
.equ SYS_WAIT,           6
.equ SYS_SBRK,           7
.equ SYS_MARK,           8
.equ SYS_RESULT,         9
.equ SYS_DISK_READ,      10
.equ SYS_DISK_WRITE,     11
.equ SYS_KBENCH,         12
.equ SYS_GETPARAM,       13
.equ SYS_CLONE,          14             ; (entry, stack top, argument) -> thread pid: shares the address space
.equ SYS_NCPUS,          15             ; () -> CPUs started
.equ NSYSCALLS,          16
.equ EFAULT,             -14
.equ ENOMEM,             -12
.equ EINVAL,             -22
.equ ECHILD,             -10
.equ EIO,                -5
.equ ENOSYS,             -38
.equ EAGAIN,             -11
.equ EXIT_KILLED,        139
.equ EXIT_PANIC,         255
