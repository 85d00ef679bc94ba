/**
 * `ringlab exec FILE.bin`: a bare-metal run from reset (ring 0, paging off, pc 0).
 * @category CLI
 */

import type { Cpu } from '../../../core/cpu/cpu';
import type { Engine } from '../../../core/cpu/engine';
import { uniprocessor } from '../../../core/platform/uniprocessor';
import { describeStop, type StopReason } from '../../../core/cpu/stop';
import { totalOf, type Breakdown, type Counts } from '../../../core/cost/ledger';
import type { IsaVariant } from '../../../core/isa/variant';
import { CliError, ExitCode } from '../../common/errors';
import { formatNumber, hex32, table } from '../../common/format';
import { readFileOrFail } from '../../common/files';

/** Largest --memory: the 32-bit physical address space. */
export const MAX_MEMORY_BYTES = 2 ** 32;

/** Options of `exec`. */
export interface ExecOptions {
  readonly maxInstructions: number;
  /** modelled-cycle budget (none if undefined) */
  readonly maxCycles?: number;
  readonly json: boolean;
  readonly variant: IsaVariant;
  readonly memoryBytes: number;
  readonly tlbEntries: number;
  /** the simulator engine (no modelled number depends on it) */
  readonly engine?: Engine;
}

/** The JSON form of a bare-metal run. */
export interface ExecResult {
  readonly file: string;
  readonly stop: StopReason & { readonly message: string };
  readonly console: string;
  readonly registers: Record<string, number>;
  /** counted events by counter name (see core/events/events.ts MACHINE_COUNTERS) */
  readonly events: Counts;
  readonly host: { readonly wallMs: number; readonly mips: number; readonly engine: Engine };
}

/** Whether a stop is a normal end of a bare-metal program. */
const normalEnd = (s: StopReason): boolean => s.kind === 'halted' || (s.kind === 'shutdown' && s.exitCode === 0);

/** Run the image; returns the text to print and the exit code. */
export const execCommand = (file: string, o: ExecOptions): { text: string; exitCode: number } => {
  const bytes = new Uint8Array(readFileOrFail(file, o.memoryBytes, `the machine's ${o.memoryBytes} bytes of memory`));
  let m: Cpu;
  try {
    m = uniprocessor({ variant: o.variant, memoryBytes: o.memoryBytes, tlbEntries: o.tlbEntries, engine: o.engine });
  } catch (e) {
    // the host may not have the memory asked for
    if (e instanceof RangeError) throw new CliError(`cannot allocate ${o.memoryBytes} bytes of guest memory: ${e.message}`);
    throw e;
  }
  m.load(0, bytes);
  const t0 = performance.now();
  const stop = m.run(o.maxInstructions, o.maxCycles);
  const wallMs = performance.now() - t0;
  const registers: Record<string, number> = {};
  for (let i = 0; i < 16; i++) registers[`r${i}`] = m.regs[i];
  Object.assign(registers, { pc: m.pc, flags: m.flags, cpl: m.cpl, cr0: m.cr[0], cr2: m.cr[2], cr3: m.cr[3], cr8: m.cr[8], idt: m.idtBase });
  const result: ExecResult = {
    file,
    stop: { ...stop, message: describeStop(stop) },
    console: m.platform.console.text(),
    registers,
    events: m.snapshot().counts,
    host: { wallMs: Math.round(wallMs * 1000) / 1000, mips: wallMs > 0 ? m.instructions / wallMs / 1000 : 0, engine: m.engine },
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
  const n = (k: string): number => totalOf(e[k]);
  const b = (k: string): Breakdown => (typeof e[k] === 'object' ? (e[k] as Breakdown) : {});
  const rings = b('instructions');
  const ev = table(
    ['event', 'count', 'breakdown'],
    [
      ['instructions', n('instructions'), [0, 1, 2, 3].map((r) => `ring${r}:${rings[r] ?? 0}`).join(' ')],
      ['exceptions', n('exceptions'), nonZero(b('exceptions'))],
      ['interrupts', n('interrupts'), nonZero(b('interrupts'))],
      ['software interrupts', n('softwareInterrupts'), nonZero(b('softwareInterrupts'))],
      ['tlb lookups', n('tlb.hits') + n('tlb.misses'), `hits:${n('tlb.hits')} misses:${n('tlb.misses')} walk-refs:${n('tlb.walkReferences')} flushes:${n('tlb.flushes')} invlpg:${n('tlb.invlpg')}`],
      ['port reads', n('io.in'), nonZero(b('io.in'), portName)],
      ['port writes', n('io.out'), nonZero(b('io.out'), portName)],
      ['vm exits', n('vm.exits'), nonZero(b('vm.exits'))],
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
