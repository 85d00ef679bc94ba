/**
 * Random hypercall sequences for the fuzzer's paravirtual mode: a guest kernel, run under
 * `paravirt` in ring 1, that registers a trap table, moves onto an address space of its own
 * (a page directory and a table mapping its first 4 MiB, validated by the hypervisor) and
 * then issues random hypercalls whose arguments are drawn per the hypercall table's argument
 * checks, valid or hostile: bad numbers, counts past their limits, pointers into the
 * hypervisor, page-table updates that would map hypervisor frames or a page table writable,
 * directories that would drop the hypervisor's slot, trap handlers in the hypervisor, nested
 * multicalls, and block reads racing with the promotion of their buffer to a page table.
 * The hypervisor must survive all of it with its invariants intact and stop cleanly.
 * @category Fuzz
 */
import { isLeft } from 'fp-ts/Either';
import { assemble, formatAsmError } from '../../core/asm';
import { GUEST_MEMORY_BYTES, GuestLayout } from '../../core/guest/layout';
import { HYPERCALLS, type ArgCheck, type HypercallRow } from '../../strategies/paravirt/hypercall-table';
import { HYPERCALL_PAGE_LINEAR, HYPERVISOR_BASE, hypervisorMemory } from '../../strategies/paravirt/hypervisor-memory';
import type { FuzzProgram } from './generate';
import { below, pick, type Random } from './random';

const HV = hypervisorMemory(GUEST_MEMORY_BYTES);
const row = (name: string): HypercallRow => {
  const r = HYPERCALLS.find((x) => x.name === name);
  if (r === undefined) throw new Error(`internal error: no hypercall '${name}' in the table`);
  return r;
};
const SHUTDOWN = row('shutdown').number;
const SET_TRAP_TABLE = row('set_trap_table').number;
const NEW_BASEPTR = row('new_baseptr').number;
const BLOCK_IO = row('block_io').number;
const MMU_UPDATE = row('mmu_update').number;
/** Calls after which the kernel's sequence does not go on (it powers off, blocks for an event, or returns to a frame it never built). */
const RUN_ENDING: ReadonlySet<string> = new Set(['shutdown', 'sched_block', 'iret']);
/** Numbers no row has. */
const BAD_NUMBERS = [0, -1, Math.max(...HYPERCALLS.map((r) => r.number)) + 1, 0x7fffffff, 1000];

/** Data frames of the kernel (labels): buffers, DMA targets, would-be page tables. */
const FRAMES = 4;
const frame = (r: Random): string => `hc_frames + ${4096 * below(r, FRAMES)}`;

/** Machine addresses of the hypervisor's own pages (beyond guest RAM) and linear ones of its range. */
const HYPERVISOR_PLACES = [HV.idt, HV.slotTable, HV.bootDirectory, HV.bootTables, HV.hypercallPage, HYPERVISOR_BASE, HYPERCALL_PAGE_LINEAR, 0xfffff000];

/** Any word, biased toward the places worth aiming at. */
const anyWord = (r: Random): string =>
  String(
    pick(r, [
      () => 0,
      () => -1,
      () => pick(r, HYPERVISOR_PLACES),
      () => GuestLayout.sharedInfo,
      () => GUEST_MEMORY_BYTES - 4,
      () => (r() * 2 ** 32) | 0,
    ])(),
  );
const anyPlace = (r: Random): string => (r() < 0.5 ? anyWord(r) : pick(r, ['hc_pd', 'hc_pt', frame(r), 'hc_fault', 'kstack_top']));

/** A page-table entry's address: in the kernel's own table or directory (the hypervisor slot included), a data frame, or the hypervisor's memory. */
const pteAddress = (r: Random): string =>
  pick(r, [
    () => `hc_pt + ${4 * below(r, 1024)}`,
    () => `hc_pt + 4 * (hc_pd / 4096)`,
    () => `hc_pt + 4 * (hc_pt / 4096)`,
    () => `hc_pd + ${4 * pick(r, [0, 1, 2, 1023, below(r, 1024)])}`,
    () => `${frame(r)} + ${4 * below(r, 1024)}`,
    () => `hc_pt + ${1 + below(r, 3)}`,
    () => String(pick(r, HYPERVISOR_PLACES) + 4 * below(r, 1024)),
  ])();

/** A page-table entry's value: a frame (guest data, the kernel's own tables, the hypervisor's) with flags. */
const pteValue = (r: Random): string => {
  const target = pick(r, [() => frame(r), () => 'hc_pd', () => 'hc_pt', () => String(pick(r, HYPERVISOR_PLACES) & ~0xfff), () => String(4096 * below(r, GUEST_MEMORY_BYTES / 4096)), () => '0'])();
  return `${target} + ${pick(r, [0, 1, 3, 7, 0x67, 0x23, 5])}`;
};

/** An argument for one check of a row: valid most of the time, hostile otherwise. */
const argument = (r: Random, c: ArgCheck, buffer: string): string => {
  const hostile = r() < 0.35;
  switch (c.kind) {
    case 'any':
      return anyPlace(r);
    case 'range':
      return String(hostile ? pick(r, [c.min - 1, c.max + 1, -1, 0x7fffffff, -0x80000000]) : pick(r, [c.min, c.max, c.min + below(r, Math.min(8, c.max - c.min + 1))]));
    case 'choice':
      return String(hostile ? pick(r, [0, -1, 3, 99]) : pick(r, c.values));
    case 'guest-address':
      return hostile ? String(pick(r, HYPERVISOR_PLACES)) : pick(r, ['kstack_top', `${frame(r)} + 4092`, 'hc_fault', String(GuestLayout.sharedInfo)]);
    case 'frame':
      return hostile ? pick(r, [String(pick(r, HYPERVISOR_PLACES)), 'hc_pd + 4', String(GUEST_MEMORY_BYTES), '-4096']) : pick(r, ['hc_pd', 'hc_pt', frame(r), '0']);
    case 'dma':
      return hostile ? pick(r, ['hc_pd', 'hc_pt', String(GUEST_MEMORY_BYTES - 256), String(GUEST_MEMORY_BYTES), `${frame(r)} + 3840`, String(HV.idt)]) : frame(r);
    case 'array':
      return hostile ? pick(r, [String(HYPERVISOR_BASE - 8), String(HYPERVISOR_BASE), '0xfffffff0', String(GUEST_MEMORY_BYTES), 'hc_pt', 'hc_pd']) : buffer;
  }
};

/** The contents of a row's list argument (`count` elements), by what the row reads. */
const listWords = (r: Random, labels: Labels, rowName: string, count: number, depth: number): string[] => {
  const words: string[] = [];
  for (let i = 0; i < count; i++)
    if (rowName === 'mmu_update') words.push(pteAddress(r), pteValue(r));
    else if (rowName === 'set_trap_table') words.push(String(r() < 0.8 ? below(r, 256) : pick(r, [256, -1, 1000])), r() < 0.8 ? 'hc_fault' : anyWord(r), String(r() < 0.8 ? below(r, 8) : pick(r, [8, -1])));
    else if (rowName === 'multicall') {
      const inner = randomCall(r, labels, depth + 1);
      words.push(String(inner.number), ...inner.args);
    } else words.push(String((r() * 2 ** 32) | 0));
  return words;
};

/** One call: its number and four argument expressions (a list it points at is placed in the program's data). */
interface Call {
  readonly number: number;
  readonly args: readonly string[];
}

/** A program's list buffers: labels numbered in order, and their data lines. */
interface Labels {
  next: number;
  readonly data: string[];
}
const nextBuffer = (labels: Labels): string => `hc_list_${labels.next++}`;
/** Place a list's words at `label` (with a zeroed tail, so a count one past the list reads zeros). */
const place = (labels: Labels, label: string, words: readonly string[]): void => {
  labels.data.push(`${label}:`, ...(words.length > 0 ? [`        .word ${words.join(', ')}`] : []), '        .word 0, 0, 0, 0, 0');
};

/** A random call: a row of the table (or a number no row has) with arguments per its checks. */
const randomCall = (r: Random, labels: Labels, depth = 0): Call => {
  if (r() < 0.05) return { number: pick(r, BAD_NUMBERS), args: [anyPlace(r), anyPlace(r), anyPlace(r), anyPlace(r)] };
  // no multicall inside a nested multicall beyond one level, so buffers stay bounded; the calls that end or park the run are rare, so sequences go deep
  const rows = HYPERCALLS.filter((x) => !(depth > 0 && x.name === 'multicall') && (!RUN_ENDING.has(x.name) || r() < 0.1));
  const rw = pick(r, rows);
  const label = nextBuffer(labels);
  const args = rw.args.map((c) => argument(r, c, label));
  const countCheck = rw.args.find((c): c is Extract<ArgCheck, { kind: 'array' }> => c.kind === 'array');
  if (countCheck !== undefined) {
    // the count: a few elements, or past the limit
    const count = r() < 0.85 ? below(r, 6) : pick(r, [countCheck.maxCount, countCheck.maxCount + 1, -1]);
    args[countCheck.countArg] = String(count);
    place(labels, label, listWords(r, labels, rw.name, Math.max(0, Math.min(count, 6)), depth));
  }
  while (args.length < 4) args.push(anyPlace(r));
  return { number: rw.number, args };
};

/** A block read into a data frame, then that frame promoted to a page table before the transfer completes. */
const dmaRace = (r: Random, labels: Labels): Call[] => {
  const f = frame(r);
  const read: Call = { number: BLOCK_IO, args: ['1', String(below(r, 4)), f, '0'] };
  if (r() < 0.5) return [read, { number: NEW_BASEPTR, args: [f, '0', '0', '0'] }];
  // a directory entry of the kernel's own directory that would make the frame a page table
  const label = nextBuffer(labels);
  place(labels, label, [`hc_pd + ${4 * below(r, 8)}`, `${f} + 3`]);
  return [read, { number: MMU_UPDATE, args: [label, '1', '0', '0'] }];
};

/**
 * A paravirtual kernel of `steps` random hypercalls (about one in eight a DMA race, some
 * with a stray store between them), preceded by a trap table that sends every vector to a
 * shutdown with code 3 and by the switch onto its own address space, each skipped now and
 * then; it ends with a shutdown hypercall.
 */
export const randomHypercallKernel = (r: Random, name: string, steps: number): FuzzProgram => {
  const labels: Labels = { next: 0, data: [] };
  const code: string[] = [];
  const emit = (c: Call): void => {
    code.push(`        li r1, ${c.number}`, ...c.args.map((a, i) => `        li r${i + 2}, ${a}`), '        vmcall');
  };
  if (r() < 0.9) emit({ number: SET_TRAP_TABLE, args: ['hc_traps', '256', '0', '0'] });
  if (r() < 0.9) emit({ number: NEW_BASEPTR, args: ['hc_pd', '0', '0', '0'] });
  for (let k = 0; k < steps; k++) {
    if (r() < 0.12) dmaRace(r, labels).forEach(emit);
    else emit(randomCall(r, labels));
    if (r() < 0.1) code.push(`        li r6, ${pick(r, ['hc_pd', 'hc_pt', frame(r), String(HYPERVISOR_BASE), String(GuestLayout.sharedInfo)])}`, '        st [r6], r7');
  }
  const source = [
    `; ringlab fuzz: ${name} (paravirt hypercall mode)`,
    '        li sp, kstack_top',
    '        li r7, 0x5a5a5a5a',
    ...code,
    `        li r1, ${SHUTDOWN}`,
    '        li r2, 0',
    '        vmcall',
    '        hlt',
    'hc_fault:',
    `        li r1, ${SHUTDOWN}`,
    '        li r2, 3',
    '        vmcall',
    '        hlt',
    '        .align 4',
    'hc_traps:',
    ...Array.from({ length: 256 }, (_, v) => `        .word ${v}, hc_fault, 1`),
    ...labels.data,
    '        .align 4096',
    // the kernel's address space: the directory's first entry leads to a table mapping the first 4 MiB 1:1 (supervisor read/write)
    'hc_pd:  .word hc_pt + 3',
    '        .space 4092',
    'hc_pt:',
    ...Array.from({ length: 64 }, (_, k) => `        .word ${Array.from({ length: 16 }, (_, i) => (k * 16 + i) * 4096 + 3).join(', ')}`),
    'hc_frames: .space 4096 * ' + FRAMES,
    'kstack: .space 4096',
    'kstack_top:',
    '',
  ].join('\n');
  const image = assemble(source, { file: `${name}.s`, origin: 0 });
  if (isLeft(image)) throw new Error(`internal error: a generated kernel does not assemble:\n${image.left.map(formatAsmError).join('\n')}`);
  return { name, mode: 'paravirt', source, image: image.right };
};
