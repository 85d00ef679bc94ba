/**
 * Guest assembly fragments for bare-metal programs (no kernel), which the bench's programs
 * and the interpreter's warm-up start with: identity paging (or paging on over tables already
 * written), and an IRET into ring 3.
 * @category Platform
 */

/**
 * Map the first `pages` pages onto themselves (present, writable, user) with one page table at
 * `pt` under the directory at `pd`, then load cr3 and turn paging on. Uses r1-r3 and the label
 * `fill`.
 */
export const identityPagingOn = (o: { pd: number; pt: number; pages: number }): string => `
        li r1, ${o.pt}
        li r2, 0x7                  ; present | writable | user
        li r3, ${o.pages}
fill:   st [r1], r2
        addi r1, r1, 4
        addi r2, r2, 0x1000
        subi r3, r3, 1
        jnz fill
        li r1, ${o.pt} | 0x7
        st [${o.pd}], r1${pagingOn(o.pd)}`;

/** Load cr3 with the directory at `pd` and turn paging on. Uses r1. */
export const pagingOn = (pd: number): string => `
        li r1, ${pd}
        wrcr cr3, r1
        li r1, 1
        wrcr cr0, r1`;

/** IRET from ring 0 to `label` in ring 3, with stack pointer `sp` and flags `flags` (IOPL 3 is 0x3000). Uses r1. */
export const iretToRing3 = (o: { label: string; sp: number; flags: number }): string => `
        li r1, ${o.sp}
        push r1                     ; user sp
        li r1, ${o.flags}
        push r1                     ; flags
        li r1, 3
        push r1                     ; ring 3
        lea r1, ${o.label}
        push r1
        iret`;
