; kernel.s - the ringlab guest kernel. One source, two builds:
;   native:      assemble as is; runs in ring 0 on the bare machine
;   paravirtual: assemble with PARAVIRT defined (optionally PV_BATCHING = 0 or 1);
;                runs in ring 1 under a Xen-like hypervisor (see pvops.s, hypercalls.s)
; Image layout: code from address 0 (the reset vector) up to kernel_code_end, then
; read-only data. Mutable state lives in the kernel region (layout.s), not in the image.

.include "layout.s"
.include "hypercalls.s"

        jmp boot                ; reset: pc = 0, ring 0 (1 when paravirtual), paging off

.include "pvops.s"
.include "smp.s"
.include "lib.s"
.include "boot.s"
.include "traps.s"
.include "mm.s"
.include "proc.s"
.include "syscall.s"
.include "dev.s"

kernel_code_end:                ; nothing after this label is executed

.include "data.s"
