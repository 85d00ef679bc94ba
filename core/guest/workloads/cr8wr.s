; cr8wr - Adams & Agesen's `cr8wr`: n writes of the task-priority register in kernel mode.
.include "../lib/user.s"
.include "../lib/kbench.s"
        KBENCH_WORKLOAD KB_CR8, "cr8wr: ", " cr8 writes"
