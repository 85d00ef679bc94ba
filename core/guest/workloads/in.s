; in - Adams & Agesen's `in`: n reads of an I/O port (the console status) in kernel mode.
.include "../lib/user.s"
.include "../lib/kbench.s"
        KBENCH_WORKLOAD KB_IN, "in: ", " port reads"
