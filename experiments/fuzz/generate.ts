/**
 * Random guest programs for the fuzzer, drawn from the ISA table: every row can appear,
 * privileged and sensitive ones included, with operands biased toward what reaches deep
 * (registers that point into a data page, branch targets at instruction boundaries, the
 * devices' ports, the system-call vector). User programs run on the shipped kernel through
 * the workload ABI; kernel programs replace the kernel and run from reset in ring 0.
 * @category Fuzz
 */
import { isLeft } from 'fp-ts/Either';
import { assemble, formatAsmError, type Program } from '../../core/asm';
import { formatInstruction } from '../../core/asm/disassembler';
import { makeInstruction } from '../../core/isa/codec';
import { gateFlags } from '../../core/cpu/idt';
import { Port } from '../../core/devices/ports';
import { ISA, MNEMONICS, type Mnemonic } from '../../core/isa/table';
import { GUEST_MEMORY_BYTES, GuestLayout } from '../../core/guest/layout';
import { HYPERVISOR_BASE } from '../../strategies/paravirt/hypervisor-memory';
import { USER_INCLUDE_DIRS } from '../../core/guest/user-images';
import { below, pick, type Random } from './random';

/** A generated program: its source (the reproducer) and its image. */
export interface FuzzProgram {
  readonly name: string;
  /** user program on the shipped kernel, raw kernel, or paravirtual kernel of random hypercalls (experiments/fuzz/hypercalls.ts) */
  readonly mode: 'user' | 'kernel' | 'paravirt';
  readonly source: string;
  readonly image: Program;
}

const PORTS = Object.values(Port) as number[];
const VECTORS = [0x80, 0x80, 0x80, 0, 3, 6, 13, 14, 0x20, 0x21, 0x22, 0xff];
const SMALL = [0, 1, 2, 4, 8, -1, -4, 0x7fffffff, -0x80000000, 0x1000];
/** Addresses worth aiming at from a kernel: the hypervisor's range, the shared-info page, the kernel's page tables, the end of guest RAM, the boot info. */
const HOSTILE_ADDRESSES = [HYPERVISOR_BASE, HYPERVISOR_BASE + 0x1000, GuestLayout.sharedInfo, 0x00300000, 0x00301000, GUEST_MEMORY_BYTES - 4, GUEST_MEMORY_BYTES, GuestLayout.bootInfo];

/** One random instruction as assembly text; `label(k)` names the k-th instruction of the body. */
const randomInstruction = (r: Random, bodyLength: number, label: (k: number) => string): string => {
  for (;;) {
    const m: Mnemonic = pick(r, MNEMONICS);
    const spec = ISA[m];
    const reg = () => (r() < 0.8 ? 1 + below(r, 7) : below(r, 16));
    const imm = () => (r() < 0.5 ? pick(r, SMALL) : r() < 0.5 ? 4 * below(r, 1024) : (r() * 2 ** 32) | 0);
    const imm12 =
      spec.format === 'rport' || spec.format === 'portr' ? pick(r, PORTS) : spec.format === 's' ? pick(r, VECTORS) : spec.format === 'rcr' || spec.format === 'crr' ? below(r, 12) : below(r, 4096);
    const i = makeInstruction(m, { ra: reg(), rb: reg(), rc: reg(), imm: imm(), imm12 });
    const text = formatInstruction(i, 0);
    if (text === undefined) continue; // a field the assembler cannot write (an unknown control register)
    return spec.pcRelative ? text.replace(/0x[0-9a-f]+$/, label(below(r, bodyLength + 1))) : text;
  }
};

const body = (r: Random, length: number, prefix: string): string[] => {
  const label = (k: number) => `${prefix}${k}`;
  const lines: string[] = [];
  for (let k = 0; k < length; k++) lines.push(`${label(k)}: ${randomInstruction(r, length, label)}`);
  lines.push(`${label(length)}:`);
  return lines;
};

/**
 * `li` lines for r1-r7: each a pointer into the data page at `data` or a random word; with
 * `hostile`, r1 is often a hypercall number and any register may hold an address a hostile
 * paravirtual kernel would try (the draws come in this order, so a seed names its program).
 */
const initRegisters = (r: Random, data: string, hostile: boolean): string[] =>
  Array.from({ length: 7 }, (_, k) => {
    if (hostile && k === 0 && r() < 0.5) return `        li r1, ${below(r, 24)}`;
    if (hostile && r() < 0.3) return `        li r${k + 1}, ${pick(r, HOSTILE_ADDRESSES)}`;
    return r() < 0.6 ? `        li r${k + 1}, ${data} + ${4 * below(r, 1024)}` : `        li r${k + 1}, ${(r() * 2 ** 32) | 0}`;
  });

const assembleOrThrow = (source: string, name: string, origin: number): Program => {
  const p = assemble(source, { file: name, origin, includeDirs: USER_INCLUDE_DIRS });
  if (isLeft(p)) throw new Error(`internal error: a generated program does not assemble:\n${p.left.map(formatAsmError).join('\n')}`);
  return p.right;
};

/**
 * A user program of `length` random instructions between the measurement markers, on the
 * workload ABI: r1-r7 start as pointers into a data page or random values; the result is
 * r1 and r2 at the end, and the exit code 0 if it gets there.
 */
export const randomUserProgram = (r: Random, name: string, length: number): FuzzProgram => {
  const init = initRegisters(r, 'fuzz_data', false);
  const source = [
    `; ringlab fuzz: ${name} (user mode)`,
    '.include "user.s"',
    'main:',
    '        MAIN_ENTER 3',
    ...init,
    '        MARK_START',
    ...body(r, length, 'fuzz_'),
    '        MARK_END',
    '        PUT_RESULT r1, r2',
    '        li r1, 0',
    '        MAIN_RETURN 3',
    '        .align 4096',
    'fuzz_data: .space 4096',
    '',
  ].join('\n');
  return { name, mode: 'user', source, image: assembleOrThrow(source, `${name}.s`, GuestLayout.userBase) };
};

/**
 * A kernel of `length` random instructions run from reset in place of the shipped kernel
 * (natively in ring 0 with paging off; under paravirt in ring 1 in the hypervisor's boot
 * view, where VMCALL makes hypercalls with r1 often a real number and arguments often aimed
 * at the hypervisor, the shared page or the page tables): a stack and an IDT whose gates
 * lead into the random code, then the body, then a shutdown through the power port.
 */
export const randomKernelProgram = (r: Random, name: string, length: number): FuzzProgram => {
  const init = initRegisters(r, 'kdata', true);
  const gates = Array.from({ length: 48 }, (_, v) => `        .word k_${below(r, length + 1)}, ${r() < 0.8 ? gateFlags({ dpl: 0, ring: 0 }) : below(r, 0x10000)}`);
  const source = [
    `; ringlab fuzz: ${name} (kernel mode)`,
    '        li sp, kstack_top',
    '        li r1, idt',
    '        lidt r1',
    ...init,
    ...body(r, length, 'k_'),
    `        li r1, 0`,
    `        out ${Port.power}, r1`,
    '        hlt',
    '        .align 8',
    'idt:',
    ...gates,
    '        .align 4096',
    'kdata: .space 4096',
    'kstack: .space 4096',
    'kstack_top:',
    '',
  ].join('\n');
  return { name, mode: 'kernel', source, image: assembleOrThrow(source, `${name}.s`, 0) };
};
