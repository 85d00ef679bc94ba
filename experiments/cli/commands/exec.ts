/**
 * `ringlab exec FILE.bin`: a bare-metal run from reset (ring 0, paging off, pc 0).
 * @category CLI
 */
import { Machine } from '../../../core/cpu/machine';
import { describeStop, type StopReason } from '../../../core/cpu/stop';
import type { EventCounts } from '../../../core/events/events';
import type { IsaVariant } from '../../../core/isa/variant';
import { CliError, ExitCode } from '../../common/errors';
import { formatNumber, hex32, table } from '../../common/format';
import { readFileOrFail } from '../../common/files';

/** Largest --memory: the 32-bit physical address space. */
export const MAX_MEMORY_BYTES = 2 ** 32;

/** Options of `exec`. */
export interface ExecOptions {
  readonly maxInstructions: number;
  readonly json: boolean;
  readonly variant: IsaVariant;
  readonly memoryBytes: number;
  readonly tlbEntries: number;
}

/** The JSON form of a bare-metal run. */
export interface ExecResult {
  readonly file: string;
  readonly stop: StopReason & { readonly message: string };
  readonly console: string;
  readonly registers: Record<string, number>;
  readonly events: EventCounts;
  readonly host: { readonly wallMs: number; readonly mips: number };
}

/** Whether a stop is a normal end of a bare-metal program. */
const normalEnd = (s: StopReason): boolean => s.kind === 'halted' || (s.kind === 'shutdown' && s.exitCode === 0);

/** Run the image; returns the text to print and the exit code. */
export const execCommand = (file: string, o: ExecOptions): { text: string; exitCode: number } => {
  const bytes = new Uint8Array(readFileOrFail(file, o.memoryBytes, `the machine's ${o.memoryBytes} bytes of memory`));
  let m: Machine;
  try {
    m = new Machine({ variant: o.variant, memoryBytes: o.memoryBytes, tlbEntries: o.tlbEntries });
  } catch (e) {
    // the host may not have the memory asked for
    if (e instanceof RangeError) throw new CliError(`cannot allocate ${o.memoryBytes} bytes of guest memory: ${e.message}`);
    throw e;
  }
  m.load(0, bytes);
  const t0 = performance.now();
  const stop = m.run(o.maxInstructions);
  const wallMs = performance.now() - t0;
  const registers: Record<string, number> = {};
  for (let i = 0; i < 16; i++) registers[`r${i}`] = m.regs[i];
  Object.assign(registers, { pc: m.pc, flags: m.flags, cpl: m.cpl, cr0: m.cr[0], cr2: m.cr[2], cr3: m.cr[3], cr8: m.cr[8], idt: m.idtBase });
  const result: ExecResult = {
    file,
    stop: { ...stop, message: describeStop(stop) },
    console: m.console.text(),
    registers,
    events: m.counts(),
    host: { wallMs: Math.round(wallMs * 1000) / 1000, mips: wallMs > 0 ? m.instructions / wallMs / 1000 : 0 },
  };
  const exitCode = normalEnd(stop) ? ExitCode.ok : stop.kind === 'shutdown' ? stop.exitCode & 0xff || ExitCode.failure : ExitCode.failure;
  return { text: o.json ? JSON.stringify(result, null, 2) : renderExec(result), exitCode };
};

const nonZero = (b: Record<string, number>, key: (k: string) => string = (k) => k): string =>
  Object.entries(b)
    .map(([k, v]) => `${key(k)}:${formatNumber(v)}`)
    .join(' ') || '-';

/** Human-readable form of a bare-metal run. */
export const renderExec = (r: ExecResult): string => {
  const regs = Object.entries(r.registers);
  const regRows: string[][] = [];
  for (let i = 0; i < regs.length; i += 4)
    regRows.push(regs.slice(i, i + 4).flatMap(([k, v]) => [k, hex32(v)]));
  const e = r.events;
  const ev = table(
    ['event', 'count', 'breakdown'],
    [
      ['instructions', e.retiredByRing.reduce((a, b) => a + b, 0), `ring0:${e.retiredByRing[0]} ring1:${e.retiredByRing[1]} ring2:${e.retiredByRing[2]} ring3:${e.retiredByRing[3]}`],
      ['exceptions', sum(e.exceptions), nonZero(e.exceptions)],
      ['interrupts', sum(e.interrupts), nonZero(e.interrupts)],
      ['software interrupts', sum(e.softwareInterrupts), nonZero(e.softwareInterrupts)],
      ['tlb lookups', e.tlb.hits + e.tlb.misses, `hits:${e.tlb.hits} misses:${e.tlb.misses} walk-refs:${e.tlb.walkReferences} flushes:${e.tlb.flushes} invlpg:${e.tlb.invlpg}`],
      ['port reads', sum(e.io.in), nonZero(e.io.in, portName)],
      ['port writes', sum(e.io.out), nonZero(e.io.out, portName)],
      ['vm exits', sum(e.vm.exits), nonZero(e.vm.exits)],
    ],
  );
  return [
    r.console.length > 0 ? `console:\n${r.console}${r.console.endsWith('\n') ? '' : '\n'}` : 'console: (empty)',
    `stop: ${r.stop.message}`,
    '',
    regRows.map((row) => row.map((c, i) => (i % 2 === 0 ? c.padStart(5) : c)).join(' ')).join('\n'),
    '',
    ev,
    '',
    `host: ${formatNumber(r.host.wallMs)} ms, ${formatNumber(r.host.mips)} guest MIPS`,
  ].join('\n');
};

const portName = (k: string): string => `0x${Number(k).toString(16)}`;

const sum = (b: Record<string, number>): number => Object.values(b).reduce((a, v) => a + v, 0);
