/**
 * `npm run bench`: guest MIPS of the reference interpreter on the benchmark programs, the
 * command line's start-up costs, and the shipped experiments' run times. Prints tables and
 * writes out/bench/bench.json. Each program runs `repeats` times and the best run counts
 * (the first runs include V8's warm-up).
 * @category Bench
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../core/asm';
import type { Cpu } from '../../core/cpu/cpu';
import { uniprocessor } from '../../core/platform/uniprocessor';
import { table } from '../common/format';
import { BENCH_PROGRAMS } from './programs';
import { timeCli } from './cli-process';
import { bareSwitchMips } from './reference';
import { measureStartup, startupRows } from './startup';

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
export const runBenchProgram = (source: string): { ms: number; m: Cpu } => {
  const r = assemble(source, { file: 'bench.s' });
  if (isLeft(r)) throw new Error(r.left.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  const m = uniprocessor({ memoryBytes: 8 << 20 });
  m.load(0, r.right.bytes);
  const t0 = performance.now();
  const stop = m.run(1e10);
  const ms = performance.now() - t0;
  if (stop.kind !== 'shutdown') throw new Error(`benchmark did not finish: ${stop.kind}`);
  return { ms, m };
};

/** Time each shipped experiment spec (experiments/*.json): `ringlab experiment` with all cores into out/bench/NAME. */
const benchExperiments = (): { experiment: string; runs: number; seconds: number }[] => {
  const dir = path.join(__dirname, '..');
  const specs = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'spec.schema.json').sort();
  const out: { experiment: string; runs: number; seconds: number }[] = [];
  for (const f of specs) {
    const target = path.join('out', 'bench', path.basename(f, '.json'));
    const seconds = timeCli(['experiment', path.join(dir, f), '--out', target, '--force', '--yes'], { cpu: false }).wallMs / 1000;
    const runs = fs.readFileSync(path.join(target, 'results.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;
    out.push({ experiment: path.basename(f, '.json'), runs, seconds: Math.round(seconds * 10) / 10 });
  }
  return out;
};

const main = (): void => {
  const n = Number(process.env.BENCH_N ?? 3_000_000);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const rows: BenchRow[] = BENCH_PROGRAMS.map((p) => {
    let best = Infinity;
    let last: Cpu | null = null;
    for (let i = 0; i < repeats; i++) {
      const { ms, m } = runBenchProgram(p.source(n));
      best = Math.min(best, ms);
      last = m;
    }
    const c = last!.snapshot().counts;
    const instructions = last!.instructions;
    return {
      program: p.name,
      description: p.description,
      instructions,
      bestMs: Math.round(best * 10) / 10,
      mips: Math.round((instructions / best / 1000) * 10) / 10,
      tlbMisses: c['tlb.misses'] as number,
      walkReferences: c['tlb.walkReferences'] as number,
    };
  });
  const bare = Math.max(...Array.from({ length: repeats }, () => bareSwitchMips(n * 3)));
  console.log(table(['program', 'instructions', 'best ms', 'guest MIPS', 'of bare switch', 'TLB misses', 'walk refs'], rows.map((r) => [r.program, r.instructions, r.bestMs, r.mips, `${Math.round((100 * r.mips) / bare)}%`, r.tlbMisses, r.walkReferences])));
  console.log(`\nreference: a bare switch interpreter (no paging, no privilege checks, no counters) runs ${bare.toFixed(1)} MIPS in this process`);
  const startup = measureStartup(Number(process.env.BENCH_STARTUP_REPEATS ?? 3));
  console.log('');
  console.log(table(['start-up (median of repeats; experiments: one run each)', 'measured', 'target', 'met'], startupRows(startup)));
  const experiments = process.env.BENCH_EXPERIMENTS === '0' ? [] : benchExperiments();
  if (experiments.length) {
    console.log('');
    console.log(table(['shipped experiment', 'runs', 'seconds', 'runs/s'], experiments.map((e) => [e.experiment, e.runs, e.seconds, Math.round((e.runs / e.seconds) * 10) / 10])));
  }
  const out = path.join('out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'bench.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, iterations: n, repeats, bareSwitchMips: bare, rows, startup, experiments }, null, 2),
  );
  console.log(`\nwrote ${file}`);
};

if (require.main === module) main();
