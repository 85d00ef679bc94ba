/**
 * The hypercall table: the whole paravirtual interface as one piece of data (like Xen's
 * hypercall-defs). One row per operation: its number (core/guest/README.md), its name (the
 * key under which results count it), how each argument is validated, whether it may run
 * inside a multicall, and its handler. Dispatch, validation, counting and the multicall
 * are derived from the rows; nothing else knows the numbers.
 *
 * Unknown numbers and arguments that fail validation return a negative error code to the
 * guest in r1 and count a validation failure; they never stop the hypervisor.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

import { Port } from '../../core/devices/ports';
import { Flag } from '../../core/isa/table';
import { PAGE_SIZE } from '../../core/mmu/pte';
import type { DirectPager, Refusal } from './direct-paging';
import type { VirtualInterrupts } from './events';
import type { GuestView } from './guest-access';
import { ARITHMETIC_FLAGS, Errno, type TrapEntry } from './guest-abi';
import { inHypervisorRange, inHypercallPage } from './hypervisor-memory';

/** What the hypercall handlers may use of the hypervisor. */
export interface HypervisorServices {
  readonly m: Cpu;
  readonly guestMemoryBytes: number;
  /** guest virtual memory, with the guest's own permissions */
  readonly guest: GuestView;
  readonly pager: DirectPager;
  readonly interrupts: VirtualInterrupts;
  /** Add or replace entries of the virtual trap table (and the direct system-call gate). */
  setTraps(entries: readonly TrapEntry[]): void;
  /** The ring-1 stack for traps and events from ring 3. */
  setKernelStack(sp: number): void;
  /** Where SYSENTER enters the guest kernel (0: nowhere, SYSENTER is a #GP). */
  setSysenterEntry(entry: number): void;
  /** Deliver pending, unmasked events, the guest resuming at `returnPc` afterwards. */
  deliverEvents(returnPc: number): void;
  /** Note a refused request (for diagnostics). */
  noteRefusal(what: string): void;
  /** `send_ipi`: raise a virtual IRQ line on a vCPU. */
  sendIpi(vcpu: number, line: number): Refusal | null;
  /** `vcpu_up`: start a waiting vCPU at an entry, on the caller's page directory. */
  startVcpu(vcpu: number, entry: number): Refusal | null;
  /** `tlb_flush_multi`: flush a page (all: -1) from the TLBs of the vCPUs in a mask. */
  flushOthers(mask: number, va: number): Refusal | null;
}

/** The result of one operation. */
export type HypercallOutcome =
  /** done: r1 = value, the guest resumes after its vmcall (events may be delivered first) */
  | { readonly kind: 'return'; readonly value: number }
  /** refused: r1 = the error code; a counted validation failure */
  | ({ readonly kind: 'refused' } & Refusal)
  /** the handler set the guest's registers and pc itself (iret, sched_block) */
  | { readonly kind: 'resumed' };

/** How one argument is validated. */
export type ArgCheck =
  /** any value */
  | { readonly kind: 'any' }
  /** an integer in [min, max] (signed) */
  | { readonly kind: 'range'; readonly min: number; readonly max: number }
  /** one of the listed values */
  | { readonly kind: 'choice'; readonly values: readonly number[] }
  /** a guest virtual address outside the hypervisor's range */
  | { readonly kind: 'guest-address' }
  /** a page-aligned guest-physical frame address below guest RAM */
  | { readonly kind: 'frame' }
  /**
   * a guest-physical buffer the device may DMA into: guest RAM, no page-table page (checked
   * when the request starts: the DMA happens at completion, and a frame that became a page
   * table in between is not checked again)
   */
  | { readonly kind: 'dma'; readonly bytes: number }
  /**
   * a guest virtual array of `count` elements, `count` being argument `countArg` (checked to
   * be 0..maxCount), readable (and writable if `writable`) as a whole
   */
  | { readonly kind: 'array'; readonly countArg: number; readonly elementBytes: number; readonly maxCount: number; readonly writable: boolean };

/** The arguments of a call (r2..r5). */
export type Args = readonly [number, number, number, number];

/** A handler: the operation's work once its arguments passed validation. */
export type HypercallHandler = (hv: HypervisorServices, a: Args, nextPc: number) => HypercallOutcome;

/** One row of the table. */
export interface HypercallRow {
  readonly number: number;
  readonly name: string;
  readonly description: string;
  readonly args: readonly ArgCheck[];
  /** may appear in a multicall (not the calls that take the guest somewhere else) */
  readonly batchable: boolean;
  readonly handler: HypercallHandler;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const ok = (value = 0): HypercallOutcome => ({ kind: 'return', value });
const refused = (r: Refusal): HypercallOutcome => ({ kind: 'refused', ...r });
const orOk = (r: Refusal | null): HypercallOutcome => (r === null ? ok() : refused(r));

const ANY: ArgCheck = { kind: 'any' };
const range = (min: number, max: number): ArgCheck => ({ kind: 'range', min, max });
const array = (elementBytes: number, maxCount: number, writable = false): ArgCheck => ({ kind: 'array', countArg: 1, elementBytes, maxCount, writable });

/** Argument checkers, one per kind: null when the value is acceptable. */
const CHECKS: { [K in ArgCheck['kind']]: (hv: HypervisorServices, c: Extract<ArgCheck, { kind: K }>, v: number, a: Args) => Refusal | null } = {
  any: () => null,
  range: (_hv, c, v) => (v >= c.min && v <= c.max ? null : { errno: Errno.EINVAL, why: `${v} is outside ${c.min}..${c.max}` }),
  choice: (_hv, c, v) => (c.values.includes(v) ? null : { errno: Errno.EINVAL, why: `${v} is not one of ${c.values.join(', ')}` }),
  'guest-address': (_hv, _c, v) => (inHypervisorRange(v) ? { errno: Errno.EPERM, why: `${hex(v)} lies in the hypervisor's range` } : null),
  frame: (hv, _c, v) =>
    (v & (PAGE_SIZE - 1)) === 0 && v >>> 0 < hv.guestMemoryBytes ? null : { errno: Errno.EINVAL, why: `${hex(v)} is not a page-aligned frame of guest RAM` },
  dma: (hv, c, v) => hv.pager.canDma(v, c.bytes),
  array: (hv, c, v, a) => {
    const count = a[c.countArg];
    if (!(count >= 0 && count <= c.maxCount)) return { errno: Errno.EINVAL, why: `count ${count} is outside 0..${c.maxCount}` };
    if (count > 0 && inHypervisorRange((v >>> 0) + count * c.elementBytes - 1)) return { errno: Errno.EPERM, why: `list ${hex(v)} reaches the hypervisor's range` };
    return hv.guest.canAccess(v, count * c.elementBytes, c.writable)
      ? null
      : { errno: Errno.EFAULT, why: `list ${hex(v)} of ${count} x ${c.elementBytes} bytes is not mapped${c.writable ? ' writable' : ''}` };
  },
};

/** Validate the arguments of a row; the first failure, or null. */
export const validateArgs = (hv: HypervisorServices, row: HypercallRow, a: Args): Refusal | null => {
  for (let i = 0; i < row.args.length; i++) {
    const c = row.args[i];
    const r = (CHECKS[c.kind] as (hv: HypervisorServices, c: ArgCheck, v: number, a: Args) => Refusal | null)(hv, c, a[i], a);
    if (r !== null) return { errno: r.errno, why: `argument ${i + 1}: ${r.why}` };
  }
  return null;
};

/** Read the word at `base + offset` of a validated array (validation made sure it is mapped). */
const word = (hv: HypervisorServices, base: number, offset: number): number => hv.guest.read32((base + offset) | 0) ?? 0;

/** Run one row: validate, handle, count a refusal. Used by the hypervisor and by multicall. */
export const invoke = (hv: HypervisorServices, row: HypercallRow, a: Args, nextPc: number): HypercallOutcome => {
  const bad = validateArgs(hv, row, a);
  const out = bad !== null ? refused(bad) : row.handler(hv, a, nextPc);
  if (out.kind === 'refused') {
    hv.m.ledger.count('hypercalls.validationFailures');
    hv.noteRefusal(`${row.name}: ${out.why}`);
  }
  return out;
};

/** The table. Numbers and arguments as in core/guest/README.md. */
export const HYPERCALLS: readonly HypercallRow[] = [
  {
    number: 1,
    name: 'set_trap_table',
    description: 'register trap handlers: list of {vector, handler, flags}, count',
    args: [array(12, 256), range(0, 256)],
    batchable: true,
    handler: (hv, [list, count]) => {
      const entries: TrapEntry[] = [];
      for (let i = 0; i < count; i++) {
        const e = { vector: word(hv, list, 12 * i), handler: word(hv, list, 12 * i + 4), flags: word(hv, list, 12 * i + 8) };
        if (e.vector >>> 0 > 255) return refused({ errno: Errno.EINVAL, why: `entry ${i}: vector ${e.vector} is not 0..255` });
        if (e.flags >>> 0 > 7) return refused({ errno: Errno.EINVAL, why: `entry ${i}: flags ${hex(e.flags)} has unknown bits` });
        if (inHypervisorRange(e.handler)) return refused({ errno: Errno.EPERM, why: `entry ${i}: handler ${hex(e.handler)} lies in the hypervisor's range` });
        entries.push(e);
      }
      hv.setTraps(entries);
      return ok();
    },
  },
  {
    number: 2,
    name: 'mmu_update',
    description: 'validated page-table updates: list of {pte physical address, new value}, count',
    args: [array(8, 1024), range(0, 1024)],
    batchable: true,
    handler: (hv, [list, count]) => {
      for (let i = 0; i < count; i++) {
        const r = hv.pager.update(word(hv, list, 8 * i), word(hv, list, 8 * i + 4));
        if (r !== null) return refused({ errno: r.errno, why: `update ${i} of ${count}: ${r.why}` });
        hv.m.ledger.count('hypercalls.updates');
      }
      return ok();
    },
  },
  {
    number: 3,
    name: 'new_baseptr',
    description: 'validate (first time) and load a page directory',
    args: [{ kind: 'frame' }],
    batchable: true,
    handler: (hv, [pd]) => orOk(hv.pager.newBaseptr(pd)),
  },
  {
    number: 4,
    name: 'invlpg',
    description: 'drop the TLB entry of a virtual address',
    args: [ANY],
    batchable: true,
    handler: (hv, [va]) => {
      hv.m.mmu.invalidate(va);
      hv.m.events.emit({ kind: 'invlpg', t: hv.m.time, address: va });
      return ok();
    },
  },
  {
    number: 5,
    name: 'set_timer',
    description: 'periodic timer, period in time units (0 stops it)',
    args: [range(0, 0x7fffffff)],
    batchable: true,
    handler: (hv, [period]) => (hv.m.portWrite(Port.timerPeriod, period), ok()),
  },
  {
    number: 6,
    name: 'console_write',
    description: 'console output: buffer, length',
    args: [array(1, 1 << 16), range(0, 1 << 16)],
    batchable: true,
    handler: (hv, [buf, len]) => {
      for (let i = 0; i < len; i++) hv.m.portWrite(Port.consoleData, hv.guest.read8((buf + i) | 0) ?? 0);
      return ok();
    },
  },
  {
    number: 7,
    name: 'block_io',
    description: 'start a block request: command (1 read, 2 write), sector, physical buffer; completion = event 2',
    args: [{ kind: 'choice', values: [1, 2] }, range(0, 0x7fffffff), { kind: 'dma', bytes: 512 }],
    batchable: true,
    handler: (hv, [command, sector, buffer]) => {
      const m = hv.m;
      m.portWrite(Port.blockSector, sector);
      m.portWrite(Port.blockAddress, buffer);
      m.portWrite(Port.blockCommand, command);
      // rejected at once by the device (e.g. a sector beyond the disk): no completion follows
      return ok((m.portRead(Port.blockCommand) & 2) !== 0 ? Errno.EIO : 0);
    },
  },
  {
    number: 8,
    name: 'sched_block',
    description: 'unmask events and block until one is delivered (sti; hlt)',
    args: [],
    batchable: false,
    handler: (hv, _a, nextPc) => {
      const m = hv.m;
      hv.interrupts.setMasked(false);
      m.regs[1] = 0;
      m.pc = nextPc;
      if (hv.interrupts.deliverable()) hv.deliverEvents(nextPc);
      else m.halted = true; // the machine idles until a real interrupt reaches the hypervisor
      return { kind: 'resumed' };
    },
  },
  {
    number: 9,
    name: 'multicall',
    description: 'run a batch of other hypercalls: list of {op, arg1..arg4}, count; each result replaces its op word',
    args: [array(20, 64, true), range(0, 64)],
    batchable: false,
    handler: (hv, [list, count], nextPc) => {
      for (let i = 0; i < count; i++) {
        const e = (list + 20 * i) | 0;
        const op = word(hv, e, 0);
        const row = HYPERCALL_BY_NUMBER.get(op);
        const args: Args = [word(hv, e, 4), word(hv, e, 8), word(hv, e, 12), word(hv, e, 16)];
        let result: number;
        if (row === undefined || !row.batchable) {
          hv.m.ledger.count('hypercalls.validationFailures');
          hv.noteRefusal(`multicall entry ${i}: operation ${op} ${row === undefined ? 'does not exist' : `(${row.name}) cannot be batched`}`);
          result = row === undefined ? Errno.ENOSYS : Errno.EINVAL;
        } else {
          const out = invoke(hv, row, args, nextPc);
          result = out.kind === 'return' ? out.value : out.kind === 'refused' ? out.errno : 0;
        }
        hv.guest.write32(e, result);
      }
      return ok();
    },
  },
  {
    number: 10,
    name: 'stack_switch',
    description: 'ring-1 kernel stack pointer for traps and events from ring 3',
    args: [{ kind: 'guest-address' }],
    batchable: true,
    handler: (hv, [sp]) => (hv.setKernelStack(sp), ok()),
  },
  {
    number: 11,
    name: 'mark',
    description: 'measured region: 1 start, 2 end',
    args: [{ kind: 'choice', values: [1, 2] }],
    batchable: true,
    handler: (hv, [v]) => (hv.m.portWrite(Port.regionMarker, v), ok()),
  },
  {
    number: 12,
    name: 'shutdown',
    description: 'power off with an exit code',
    args: [ANY],
    batchable: true,
    handler: (hv, [code]) => (hv.m.portWrite(Port.power, code), ok()),
  },
  {
    number: 13,
    name: 'eoi',
    description: 'end of a virtual interrupt (the hypervisor acknowledged the real one when it arrived)',
    args: [range(0, 7)],
    batchable: true,
    handler: () => ok(),
  },
  {
    number: 14,
    name: 'set_callbacks',
    description: 'event upcall entry address',
    args: [{ kind: 'guest-address' }],
    batchable: true,
    handler: (hv, [entry]) => ((hv.interrupts.callback = entry), ok()),
  },
  {
    number: 15,
    name: 'iret',
    description: 'return from a trap or upcall: stack = [r1, pc, cs, flags, sp]; event mask = !flags.IF',
    args: [],
    batchable: false,
    handler: (hv) => {
      const m = hv.m;
      const sp = m.regs[15];
      if (!hv.guest.canAccess(sp, 20, false)) return refused({ errno: Errno.EFAULT, why: `iret frame at ${hex(sp)} is not mapped` });
      const [r1, pc, cs, flags, newSp] = [0, 4, 8, 12, 16].map((o) => word(hv, sp, o));
      const ring = cs & 3;
      if (ring === 0) return refused({ errno: Errno.EPERM, why: 'iret to ring 0 (the hypervisor\'s)' });
      if (inHypervisorRange(pc) && !inHypercallPage(pc)) return refused({ errno: Errno.EPERM, why: `iret to ${hex(pc)}, in the hypervisor's range` });
      m.regs[1] = r1;
      m.regs[15] = newSp;
      m.flags = (flags & ARITHMETIC_FLAGS) | Flag.IF; // the real IF stays on: the guest's is the mask
      m.cpl = ring;
      m.pc = pc;
      hv.interrupts.setMasked((flags & Flag.IF) === 0);
      hv.deliverEvents(pc);
      return { kind: 'resumed' };
    },
  },
  {
    number: 17,
    name: 'console_status',
    description: 'the console status (1 = ready)',
    args: [],
    batchable: true,
    handler: (hv) => ok(hv.m.portRead(Port.consoleStatus)),
  },
  {
    number: 18,
    name: 'set_tpr',
    description: 'virtual task priority (events are held while it is 2 or more)',
    args: [range(0, 15)],
    batchable: true,
    handler: (hv, [p]) => ((hv.interrupts.tpr = p), ok()),
  },
  {
    number: 19,
    name: 'force_event',
    description: 'no-op: its return delivers pending unmasked events',
    args: [],
    batchable: true,
    handler: () => ok(),
  },  {
    number: 20,
    name: 'send_ipi',
    description: "raise a virtual IRQ line on a vCPU (Xen's event-channel send of an IPI): vCPU, line",
    args: [range(0, 255), range(0, 7)],
    batchable: true,
    handler: (hv, [vcpu, line]) => orOk(hv.sendIpi(vcpu, line)),
  },
  {
    number: 21,
    name: 'vcpu_up',
    description: "start a vCPU waiting since boot at an entry, in ring 1 on the caller's page directory, events masked (VCPUOP_initialise + VCPUOP_up): vCPU, entry",
    args: [range(0, 255), { kind: 'guest-address' }],
    batchable: false,
    handler: (hv, [vcpu, entry]) => orOk(hv.startVcpu(vcpu, entry)),
  },
  {
    number: 22,
    name: 'tlb_flush_multi',
    description: "flush a page (every entry: -1) from the TLBs of the vCPUs in a mask (mmuext_op TLB_FLUSH_MULTI / INVLPG_MULTI): mask, address",
    args: [ANY, ANY],
    batchable: true,
    handler: (hv, [mask, va]) => orOk(hv.flushOthers(mask, va)),
  },
  {
    number: 23,
    name: 'set_sysenter',
    description: "where SYSENTER enters the guest kernel, in ring 1 on the stack_switch stack with events masked (Xen's CALLBACKTYPE_sysenter); 0 = none, SYSENTER is a #GP: entry",
    args: [{ kind: 'guest-address' }],
    batchable: true,
    handler: (hv, [entry]) => (hv.setSysenterEntry(entry), ok()),
  },

];

/** The rows by number. */
export const HYPERCALL_BY_NUMBER: ReadonlyMap<number, HypercallRow> = new Map(HYPERCALLS.map((r) => [r.number, r]));

/** The rows by name. */
export const HYPERCALL_BY_NAME: ReadonlyMap<string, HypercallRow> = new Map(HYPERCALLS.map((r) => [r.name, r]));
