/**
 * `npm run bench`: guest MIPS of the reference interpreter on the benchmark programs.
 * Prints a table and writes out/bench/bench.json. Each program runs `repeats` times and the
 * best run counts (the first runs include V8's warm-up).
 * @category Bench
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../core/asm';
import { Machine } from '../../core/cpu/machine';
import { table } from '../cli/format';
import { BENCH_PROGRAMS } from './programs';

/** One benchmark measurement. */
export interface BenchRow {
  readonly program: string;
  readonly description: string;
  readonly instructions: number;
  readonly bestMs: number;
  readonly mips: number;
  readonly tlbMisses: number;
  readonly walkReferences: number;
}

/** Run one program once; returns wall time and the machine. */
export const runBenchProgram = (source: string): { ms: number; m: Machine } => {
  const r = assemble(source, { file: 'bench.s' });
  if (isLeft(r)) throw new Error(r.left.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  const m = new Machine({ memoryBytes: 8 << 20 });
  m.load(0, r.right.bytes);
  const t0 = performance.now();
  const stop = m.run(1e10);
  const ms = performance.now() - t0;
  if (stop.kind !== 'shutdown') throw new Error(`benchmark did not finish: ${stop.kind}`);
  return { ms, m };
};

const main = (): void => {
  const n = Number(process.env.BENCH_N ?? 3_000_000);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const rows: BenchRow[] = BENCH_PROGRAMS.map((p) => {
    let best = Infinity;
    let last: Machine | null = null;
    for (let i = 0; i < repeats; i++) {
      const { ms, m } = runBenchProgram(p.source(n));
      best = Math.min(best, ms);
      last = m;
    }
    const c = last!.counts();
    const instructions = last!.instructions;
    return {
      program: p.name,
      description: p.description,
      instructions,
      bestMs: Math.round(best * 10) / 10,
      mips: Math.round((instructions / best / 1000) * 10) / 10,
      tlbMisses: c.tlb.misses,
      walkReferences: c.tlb.walkReferences,
    };
  });
  console.log(table(['program', 'instructions', 'best ms', 'guest MIPS', 'TLB misses', 'walk refs'], rows.map((r) => [r.program, r.instructions, r.bestMs, r.mips, r.tlbMisses, r.walkReferences])));
  const out = path.join('out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'bench.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, iterations: n, repeats, rows }, null, 2),
  );
  console.log(`\nwrote ${file}`);
};

if (require.main === module) main();
