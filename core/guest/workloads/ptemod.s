; ptemod - Adams & Agesen's `ptemod`: n updates of a kernel page-table entry, each followed
; by invlpg (what shadow paging must trace).
.include "../lib/user.s"
.include "../lib/kbench.s"
        KBENCH_WORKLOAD KB_PTEMOD, "ptemod: ", " pte updates"
