/**
 * The hypercall page: guest code the hypervisor provides in its own range (as Xen's
 * hypercall page), which the paravirtual kernel calls instead of containing sensitive
 * instructions itself. Its one entry, the trap return, returns to user mode with a real
 * IRET when that is safe - a ring 1 to ring 3 return with events unmasked and none pending,
 * as Xen's 32-bit guests do - and takes the `iret` hypercall otherwise. An event that
 * arrives between the check and the IRET is delivered as an upcall inside the page and
 * returns to it (the `iret` hypercall accepts the page as a return address).
 * @category Strategies
 */
import { isLeft } from 'fp-ts/Either';
import { assemble, formatAsmError } from '../../core/asm';
import { Flag } from '../../core/isa/table';
import { SharedInfo } from './guest-abi';
import { HYPERCALL_BY_NAME } from './hypercall-table';
import { HYPERCALL_PAGE_LINEAR } from './hypervisor-memory';

/** Entry points in the hypercall page (kernel/hypercalls.s has the guest's copy). */
export const HypercallPageEntry = {
  /** return from a trap frame: stack = [r1, error code, pc, cs, flags, sp] */
  trapReturn: HYPERCALL_PAGE_LINEAR,
} as const;

/** The page's code. */
const SOURCE = `
; entered by jmp with the stack holding [r1, error code, pc, cs, flags, sp]; r1 is free
trap_return:
        ld r1, [sp+12]              ; cs of the frame
        cmpi r1, 3
        jnz slow                    ; returning into the kernel: the hypercall
        ld r1, [sp+16]
        andi r1, r1, ${Flag.IF}
        jz slow                     ; to user mode with events off: the hypercall
        ld r1, [${SharedInfo.pending}]
        cmpi r1, 0
        jnz slow                    ; events pending: the hypercall delivers them
        st [${SharedInfo.mask}], r0 ; unmask events, as the return to user mode would
        pop r1
        addi sp, sp, 4              ; the error code
        iret                        ; ring 1 -> ring 3; the real IF stays on
slow:
        ld r1, [sp]
        st [sp+4], r1               ; [r1, pc, cs, flags, sp] for the iret hypercall
        addi sp, sp, 4
        li r1, ${HYPERCALL_BY_NAME.get('iret')!.number}
        vmcall
`;

let image: Uint8Array | null = null;

/** The assembled page (at its linear address). */
export const hypercallPageImage = (): Uint8Array => {
  if (image === null) {
    const r = assemble(SOURCE, { file: 'hypercall-page.s', origin: HYPERCALL_PAGE_LINEAR });
    if (isLeft(r)) throw new Error(`internal error: the hypercall page does not assemble:\n${r.left.map(formatAsmError).join('\n')}`);
    if (r.right.symbols.trap_return !== HypercallPageEntry.trapReturn) throw new Error('internal error: hypercall page entry moved');
    image = r.right.bytes.slice(HYPERCALL_PAGE_LINEAR - r.right.origin);
  }
  return image;
};
