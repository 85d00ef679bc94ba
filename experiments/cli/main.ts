/**
 * The `ringlab` command line. Each subcommand lives in experiments/cli/commands/; this file
 * only declares the interface (names and options are public: users' scripts rely on them)
 * and turns errors into one clear message and an exit code.
 * @category CLI
 */
import { DEFAULT_ENGINE, ENGINE_NAMES, isEngine, type Engine } from '../../core/cpu/engine';
import { isLeft } from 'fp-ts/Either';
import * as os from 'os';
import { Command, CommanderError, Option } from 'commander';
import { asmCommand, disasmCommand } from './commands/asm';
import { execCommand, MAX_MEMORY_BYTES } from './commands/exec';
import { isaReport, renderIsaReport } from './commands/isa';
import { listCommand } from './commands/list';
import { compare } from '../compare/compare';
import { MAX_RUNS_WITHOUT_YES } from '../experiment/estimate';
import { loadModules, mergeResults, runExperiment } from '../experiment/experiment';
import { compareTable, renderCompared } from '../validation/compare-published';
import { loadPublishedTable, shippedTables } from '../validation/published-table';
import { writeReport } from '../report/report';
import { runCommand } from './commands/run';
import { checkCommand } from './commands/check';
import { hostCommand } from './commands/host';
import { DEFAULT_PROFILE } from '../../core/cost/profile';
import { useColour, paint } from '../common/colour';
import { CliError, exitCodeHelp, ExitCode } from '../common/errors';
import { fuzzCommand } from './commands/fuzz';
import { enableTypeScriptModules } from '../common/typescript-modules';
import { progress as progressReporter } from '../experiment/progress';
import { parseCount } from '../common/files';
import type { ProgressStream } from '../experiment/progress';
import { RINGLAB_VERSION } from '../common/version';

/** Output sinks, replaceable in tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** where progress of long runs goes (a bar if it is a terminal) */
  readonly progress: ProgressStream;
  /** whether `err` may be coloured (a terminal, and NO_COLOR not set) */
  readonly errColour?: boolean;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  progress: process.stderr,
  errColour: useColour(process.stderr, process.env),
};

/** Progress and informational lines go nowhere under --quiet. */
const SILENT: ProgressStream = { write: () => true, isTTY: false };

/** `--engine`: the simulator engine (host machinery: results record it as host metadata only). */
const engineOption = () =>
  new Option('--engine <name>', 'simulator engine: interp (the reference interpreter) or jit (hot guest code compiled to JavaScript); no modelled number depends on it').choices(ENGINE_NAMES).default(DEFAULT_ENGINE);

/** `--engines a,b`: engine names, each known, none twice, at least one. */
const parseEngines = (list: string): Engine[] => {
  const names = list.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const unknown = names.filter((n) => !isEngine(n));
  if (unknown.length > 0) throw new CliError(`--engines: unknown engine ${unknown.map((n) => `'${n}'`).join(', ')}; engines: ${ENGINE_NAMES.join(', ')}`);
  if (names.length === 0) throw new CliError(`--engines: give at least one of ${ENGINE_NAMES.join(', ')}`);
  if (new Set(names).size !== names.length) throw new CliError(`--engines: '${list}' names an engine twice`);
  return names as Engine[];
};

const variantOption = () =>
  new Option('--isa <variant>', 'ISA variant').choices(['default', 'virtualizable']).default('default');

/** Build the command tree; `setExit` receives each command's exit code. */
const program = (io: Io, setExit: (code: number) => void): Command => {
  const p = new Command('ringlab')
    .description('Compare CPU-virtualization strategies on one x86-flavoured guest machine')
    .version(RINGLAB_VERSION, '-V, --version', 'print the ringlab version')
    .option('-q, --quiet', 'print no progress or informational lines on stderr (errors still)')
    .addHelpText('after', `\n${exitCodeHelp()}\nColour on a terminal only; NO_COLOR turns it off, FORCE_COLOR on.`)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(`${paint(io.errColour === true).red(s.trimEnd())}\n`) })
    .showHelpAfterError('(run with --help for usage)');
  const quiet = (): boolean => p.opts<{ quiet?: boolean }>().quiet === true;
  const progress = (): ProgressStream => (quiet() ? SILENT : io.progress);

  const collect = (v: string, prev: string[]) => [...prev, v];

  p.command('asm')
    .description('assemble a source file into a flat binary image')
    .argument('<file.s>', 'assembly source')
    .option('-o, --output <file.bin>', 'output image (default: the source name with .bin)')
    .option('-D, --define <NAME[=value]>', 'define a constant (value 1 if none given; repeatable)', collect, [] as string[])
    .option('--origin <address>', 'address of the first byte (default 0)')
    .option('-I, --include <dir>', 'search this folder for relative .include files not found beside the including file (repeatable)', collect, [] as string[])
    .action((file: string, o: { output?: string; define: string[]; origin?: string; include: string[] }) => {
      io.out(asmCommand(file, { output: o.output, define: o.define, include: o.include, origin: o.origin === undefined ? undefined : parseCount('--origin', o.origin, 0, 0xffffffff) }));
    });

  p.command('disasm')
    .description('disassemble a flat binary image')
    .argument('<file.bin>', 'binary image')
    .option('--origin <address>', 'address of the first byte', '0')
    .action((file: string, o: { origin: string }) => io.out(disasmCommand(file, parseCount('--origin', o.origin, 0, 0xffffffff))));

  p.command('exec')
    .description('run a binary image on bare metal from reset (ring 0, paging off, pc 0)')
    .argument('<file.bin>', 'binary image')
    .option('--max-instructions <n>', 'instruction budget (a guest that never stops is ended)', '100000000')
    .option('--max-cycles <n>', 'modelled-cycle budget (bounds exception storms too; a bare machine counts one cycle per instruction or halted cycle)')
    .option('--json', 'print the result as JSON', false)
    .addOption(variantOption())
    .option('--memory <bytes>', 'physical memory size', String(8 * 1024 * 1024))
    .option('--tlb <entries>', 'TLB entries (a power of two)', '64')
    .addOption(engineOption())
    .action((file: string, o: { maxInstructions: string; maxCycles?: string; json: boolean; isa: 'default' | 'virtualizable'; memory: string; tlb: string; engine: Engine }) => {
      const memoryBytes = parseCount('--memory', o.memory, 4096, MAX_MEMORY_BYTES);
      if (memoryBytes % 4096 !== 0) throw new CliError(`--memory must be a multiple of 4096, got ${memoryBytes}`);
      const tlbEntries = parseCount('--tlb', o.tlb, 1);
      if ((tlbEntries & (tlbEntries - 1)) !== 0 || tlbEntries > 65536) throw new CliError(`--tlb must be a power of two between 1 and 65536, got ${tlbEntries}`);
      const r = execCommand(file, {
        maxInstructions: parseCount('--max-instructions', o.maxInstructions, 1),
        maxCycles: o.maxCycles === undefined ? undefined : parseCount('--max-cycles', o.maxCycles, 1),
        json: o.json,
        variant: o.isa,
        memoryBytes,
        tlbEntries,
        engine: o.engine,
      });
      io.out(r.text);
      setExit(r.exitCode);
    });

  p.command('isa')
    .description('the Popek-Goldberg report: classification, Theorems 1 and 3, demonstrated violations')
    .addOption(new Option('--variant <variant>', 'ISA variant').choices(['default', 'virtualizable']).default('default'))
    .option('--json', 'print the report as JSON', false)
    .action((o: { variant: 'default' | 'virtualizable'; json: boolean }) => {
      const r = isaReport(o.variant);
      io.out(o.json ? JSON.stringify(r, null, 2) : renderIsaReport(r));
    });

  p.command('run')
    .description('run one workload (or your own program) under one strategy and compare it with native')
    .requiredOption('--strategy <name>', 'strategy (see `ringlab list`)')
    .option('--workload <name>', 'workload (see `ringlab list`)')
    .option('--program <FILE.s|FILE.bin>', 'run your own user program on the shipped kernel instead of a workload (the workload ABI of core/guest/README.md; `.include "user.s"` finds the workload library)')
    .option('--kernel <FILE.s|FILE.bin>', 'boot your own kernel instead of the shipped one, here and in the native reference (a .s is assembled with the strategy\'s build defines, PARAVIRT for paravirt)')
    .option('--profile <name>', 'cost profile (a shipped name or a .json path)', DEFAULT_PROFILE)
    .option('--param <k=v>', 'workload parameter (repeatable), e.g. n=1000', collect, [] as string[])
    .option('--option <k=v>', 'strategy option (repeatable)', collect, [] as string[])
    .addOption(variantOption())
    .option('--max-instructions <n>', 'instruction budget (instructions retired); default 200000000, or what a workload\'s n needs')
    .option('--max-cycles <n>', 'modelled-cycle budget: bounds every kind of guest-driven work (exceptions, exits, traps, translation); default 250000000000, grown with the instruction budget')
    .option('--boot <k=v>', 'kernel boot parameter (repeatable), e.g. hz=1000 (see `ringlab list`)', collect, [] as string[])
    .option('--vcpus <n>', 'virtual CPUs of the guest (1-8; sets the kernel\'s cpus boot parameter)')
    .option('--cost <KEY=CYCLES>', 'replace a per-event cost of the profile (repeatable), e.g. vmExitRoundTrip=1500; recorded in the result', collect, [] as string[])
    .option('--tlb <entries>', 'TLB entries (a power of two)')
    .option('--disk-latency <us>', 'block request latency in microseconds (default 75, a late-2000s SSD)')
    .option('--strategy-module <file>', 'load strategies from a module file (repeatable)', collect, [] as string[])
    .option('--trace <file.json>', 'write the run\'s events in the Chrome/Perfetto trace-event format')
    .addOption(engineOption())
    .option('--json', 'print the result as JSON', false)
    .action((o: { strategy: string; workload?: string; program?: string; kernel?: string; profile: string; param: string[]; option: string[]; isa: 'default' | 'virtualizable'; maxInstructions?: string; maxCycles?: string; boot: string[]; vcpus?: string; cost: string[]; json: boolean; tlb?: string; diskLatency?: string; strategyModule: string[]; trace?: string; engine: Engine }) => {
      if ((o.workload === undefined) === (o.program === undefined)) throw new CliError('run needs exactly one of --workload NAME and --program FILE');
      loadModules(o.strategyModule);
      const r = runCommand({
        ...o,
        workload: o.workload ?? '',
        progress: progress(),
        maxInstructions: o.maxInstructions === undefined ? undefined : parseCount('--max-instructions', o.maxInstructions, 1),
        maxCycles: o.maxCycles === undefined ? undefined : parseCount('--max-cycles', o.maxCycles, 1),
        vcpus: o.vcpus === undefined ? undefined : parseCount('--vcpus', o.vcpus, 1),
        machine: {
          ...(o.tlb === undefined ? {} : { tlbEntries: parseCount('--tlb', o.tlb, 1) }),
          ...(o.diskLatency === undefined ? {} : { diskLatencyUs: parseCount('--disk-latency', o.diskLatency, 1) }),
        },
      });
      io.out(r.text);
      setExit(r.exitCode);
    });

  p.command('experiment')
    .description('run an experiment spec (a matrix of strategies x workloads x profiles ...) on worker threads')
    .argument('[spec.json]', 'experiment spec (see experiments/*.json and experiments/spec.schema.json)')
    .option('--from <DIR/experiment.json>', 'rerun the record of a results directory: its spec, seed, shard and strategy modules')
    .option('--out <dir>', 'output directory (default: out/<experiment name>)')
    .option('--workers <n>', 'worker threads (default: the number of cores)')
    .option('--shard <k/N>', 'run only the k-th of N deterministic slices of the matrix, from 1/N (default: from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or BATCH_TASK_INDEX when set)')
    .option('--shards <N>', 'the number of shards when a scheduler gives a 0-based task index (JOB_COMPLETION_INDEX ...)')
    .option('--resume', 'continue an interrupted run of the same experiment in --out', false)
    .option('--force', 'write into --out even if it holds other results (they are replaced)', false)
    .option('--yes', `run even more than ${MAX_RUNS_WITHOUT_YES} runs`, false)
    .option('--strategy-module <file>', 'load strategies from a module file (repeatable)', collect, [] as string[])
    .option('--trace', 'write a Chrome/Perfetto trace of each run into <out>/traces/', false)
    .addOption(engineOption())
    .action(async (spec: string | undefined, o: { from?: string; out?: string; workers?: string; shard?: string; shards?: string; resume: boolean; force: boolean; yes: boolean; strategyModule: string[]; trace: boolean; engine: Engine }) => {
      const r = await runExperiment({
        specFile: spec,
        from: o.from,
        outDir: o.out,
        workers: o.workers === undefined ? undefined : parseCount('--workers', o.workers, 1),
        shard: o.shard,
        shards: o.shards === undefined ? undefined : parseCount('--shards', o.shards, 1),
        resume: o.resume,
        force: o.force,
        yes: o.yes,
        strategyModules: o.strategyModule,
        trace: o.trace,
        engine: o.engine,
        stream: progress(),
      });
      io.out(r.text);
      setExit(r.exitCode);
    });

  p.command('merge')
    .description('join the result directories of shards of one experiment')
    .argument('<dirs...>', 'shard output directories')
    .requiredOption('--out <dir>', 'output directory for the merged results')
    .option('--force', 'replace results already in --out', false)
    .action(async (dirs: string[], o: { out: string; force: boolean }) => io.out(await mergeResults(dirs, o.out, o.force)));

  p.command('report')
    .description('write DIR/report.html: interactive charts, tables and provenance in one self-contained file')
    .argument('<dir>', 'an experiment output directory')
    .action(async (dir: string) => io.out(`wrote ${await writeReport(dir)}`));

  p.command('compare')
    .description('the default comparison: every strategy on every workload, with results, charts and a summary')
    .option('--out <dir>', 'output directory', 'out/compare')
    .option('--profile <name>', 'cost profile', DEFAULT_PROFILE)
    .option('--nested-profile <name>', 'profile for the nested-paging configuration', 'nehalem-2009')
    .option('--force', 'write into a non-empty directory that holds no earlier comparison', false)
    .option('--strategy-module <file>', 'also compare the strategies of a module file, with their default options (repeatable)', collect, [] as string[])
    .option('--workers <n>', 'worker threads, each running the runs of some strategies (default: the number of cores; the results do not depend on them)')
    .addOption(engineOption())
    .action(async (o: { out: string; profile: string; nestedProfile: string; force: boolean; strategyModule: string[]; engine: Engine; workers?: string }) => {
      enableTypeScriptModules(o.strategyModule);
      const workers = o.workers === undefined ? os.availableParallelism() : parseCount('--workers', o.workers, 1, 64);
      io.out(await compare({ outDir: o.out, profile: o.profile, nestedProfile: o.nestedProfile, force: o.force, stream: progress(), strategyModules: o.strategyModule, engine: o.engine, workers }));
    });

  p.command('validate')
    .description('set published figures (experiments/validation/*.json) beside ringlab\'s: each figure, the ratio, and the strategies\' ordering per workload')
    .argument('[table.json...]', 'published tables (default: the shipped ones)')
    .option('--json', 'print as JSON', false)
    .action((files: string[], o: { json: boolean }) => {
      const tables = (files.length > 0 ? files : shippedTables()).map((f) => {
        const t = loadPublishedTable(f);
        if (isLeft(t)) throw new CliError(t.left.join('\n'));
        return t.right;
      });
      const compared = tables.map(compareTable);
      io.out(o.json ? JSON.stringify({ tables: compared }, null, 2) : renderCompared(compared));
    });

  p.command('fuzz')
    .description('run random guest programs under every strategy, each compared with native; host failures are reported with a reproducer')
    .option('--programs <n>', 'number of programs', '100')
    .option('--seed <s>', 'seed of the generator (the same seed gives the same programs)', '1')
    .option('--strategies <list>', 'comma-separated strategy names (default: all)')
    .option('--kernel-mode', 'raw random kernels from reset in ring 0 instead of user programs on the shipped kernel', false)
    .option('--paravirt-mode', 'paravirtual kernels issuing random hypercall sequences (bad numbers and counts, pointers into the hypervisor, page-table updates mapping hypervisor or page-table frames, DMA racing with page-table promotion) under the strategies that boot a paravirtual kernel; each run must end cleanly with the invariants intact', false)
    .option('--profile <name>', 'cost profile', DEFAULT_PROFILE)
    .option('--out <dir>', 'where reproducers of host failures are written', 'out/fuzz')
    .option('--json', 'print the report as JSON', false)
    .option('--workers <n>', 'worker threads (default: the number of cores, at most one per program; the report does not depend on them)')
    .option('--engines <list>', `comma-separated simulator engines each run is repeated on (${ENGINE_NAMES.join(', ')}; default: interp; interp,jit adds the JIT, compiling every block at first sight, at about twice the CPU time); a run whose modelled results (counters, clock, console, exit, digest) differ from the first engine's is a host failure`)
    .action(async (o: { programs: string; seed: string; strategies?: string; kernelMode: boolean; paravirtMode: boolean; profile: string; out: string; json: boolean; workers?: string; engines?: string }) => {
      const programs = parseCount('--programs', o.programs, 1);
      const bar = progressReporter(programs, progress());
      const r = await fuzzCommand({
        workers: o.workers === undefined ? Math.min(os.availableParallelism(), programs, 64) : parseCount('--workers', o.workers, 1, 64),
        programs,
        seed: parseCount('--seed', o.seed, 0, 0xffffffff),
        strategies: o.strategies ? o.strategies.split(',').map((x) => x.trim()).filter((x) => x !== '') : [],
        kernelMode: o.kernelMode,
        paravirtMode: o.paravirtMode,
        profile: o.profile,
        out: o.out,
        json: o.json,
        engines: o.engines === undefined ? undefined : parseEngines(o.engines),
        onProgress: (d) => bar.tick(`program ${d}`),
      });
      bar.done();
      io.out(r.text);
      setExit(r.exitCode);
    });

  p.command('check')
    .description('check a strategy module as the equivalence suite checks a built-in strategy: its API version and declaration, then every workload in every configuration of its choice options against native; a pass/fail table')
    .option('--strategy-module <file>', 'the strategy module to check (repeatable)', collect, [] as string[])
    .option('--workload <name>', 'run only this workload (repeatable; default: every workload)', collect, [] as string[])
    .action((o: { strategyModule: string[]; workload: string[] }) => {
      const r = checkCommand({ strategyModules: o.strategyModule, workloads: o.workload, progress: quiet() ? undefined : (l) => io.err(l) });
      io.out(r.text);
      setExit(r.exitCode);
    });

  p.command('host')
    .description('run many VMs on a modelled host (topology, hyperthreads, DVFS, a VMkernel-style scheduler): esxtop metrics, energy, progress and slowdown per VM')
    .argument('<spec.json>', 'host spec (see experiments/host/*.json and README, "The host layer")')
    .option('--out <dir>', 'also write DIR/host-result.json, DIR/host-spec.json and DIR/charts/ (who ran on each logical CPU, the vCPU states stacked)')
    .option('--json', 'print the result as JSON', false)
    .option('--trace <file.json>', 'write a Perfetto trace with one track per logical CPU')
    .action(async (spec: string, o: { out?: string; json: boolean; trace?: string }) => {
      const r = await hostCommand({ spec, ...o });
      io.out(r.text);
      setExit(r.exitCode);
    });

  p.command('list')
    .description('list strategies (with options), workloads (with parameters) and cost profiles')
    .option('--json', 'print as JSON', false)
    .option('--strategy-module <file>', 'also list strategies from a module file (repeatable)', collect, [] as string[])
    .action((o: { json: boolean; strategyModule: string[] }) => {
      loadModules(o.strategyModule);
      io.out(listCommand(o.json));
    });

  return p;
};

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export const main = async (argv: readonly string[], io: Io = processIo): Promise<number> => {
  let code: number = ExitCode.ok;
  try {
    await program(io, (c) => (code = c)).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const red = paint(io.errColour === true).red;
    if (e instanceof CliError) {
      io.err(`${red('ringlab:')} ${e.message}`);
      return e.exitCode;
    }
    io.err(`${red('ringlab: internal error:')} ${(e as Error).message ?? String(e)}`);
    if (process.env.RINGLAB_DEBUG) io.err(String((e as Error).stack));
    else io.err('(set RINGLAB_DEBUG=1 for the stack trace, and please report it)');
    return ExitCode.internal;
  }
};
