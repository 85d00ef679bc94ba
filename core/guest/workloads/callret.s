; callret - Adams & Agesen's `call/ret`: n call/ret pairs in kernel mode (what a binary
; translator must rewrite: the return address on the stack).
.include "../lib/user.s"
.include "../lib/kbench.s"
        KBENCH_WORKLOAD KB_CALLRET, "callret: ", " call/ret pairs"
