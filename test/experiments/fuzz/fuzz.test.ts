/**
 * The fuzzer: random programs under every strategy with no host failure, the same report
 * for the same seed, and a host failure (here a strategy that throws) caught, classified and
 * kept with its program's source. The README gives the command for a long run.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fuzz, fuzzProfile, fuzzProgram } from '../../../experiments/fuzz/fuzz';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../../core/asm/assembler';
import { fuzzOnWorkers } from '../../../experiments/fuzz/parallel';
import { randomUserProgram } from '../../../experiments/fuzz/generate';
import { seededRandom } from '../../../experiments/fuzz/random';
import { writeReproducers } from '../../../experiments/cli/commands/fuzz';
import { MNEMONICS } from '../../../core/isa/table';
import { STRATEGIES } from '../../../strategies/registry';
import type { Strategy } from '../../../strategies/strategy';

const ALL = Object.values(STRATEGIES) as Strategy[];

describe('fuzz', function () {
  this.timeout(300_000);

  it('60 user-mode programs under every strategy and option value: no host failure, divergence only where Popek and Goldberg predict it', () => {
    const r = fuzz({ programs: 60, seed: 2026, strategies: ALL, kernelMode: false, engines: ['interp'] });
    expect(r.failures).to.deep.equal([]);
    expect(r.counts['host-failure']).to.equal(0);
    expect(r.counts['not-equivalent']).to.equal(r.expectedDivergences);
    expect(r.counts.equivalent).to.be.greaterThan(r.runs / 2);
    expect(r.runs).to.equal(r.counts.equivalent + r.counts['not-equivalent'] + r.counts['guest-stop']);
  });

  it('12 raw kernels from reset under every strategy (random hypercalls under paravirt): no host failure, no isolation violation', () => {
    const r = fuzz({ programs: 12, seed: 77, strategies: ALL, kernelMode: true, length: 24, engines: ['interp'] });
    expect(r.failures).to.deep.equal([]);
    expect(r.runs).to.be.greaterThan(0);
  });

  it('user programs and kernels under every strategy on the interpreter and the JIT (compiling at first sight): the same modelled results', () => {
    const user = fuzz({ programs: 3, seed: 4242, strategies: ALL, kernelMode: false, engines: ['interp', 'jit'] });
    const kernels = fuzz({ programs: 3, seed: 4343, strategies: ALL, kernelMode: true, length: 24, engines: ['interp', 'jit'] });
    for (const r of [user, kernels]) {
      expect(r.failures).to.deep.equal([]);
      // each configuration once per engine
      expect(r.runs % 2).to.equal(0);
      expect(r.runs).to.equal(2 * fuzz({ programs: 1, seed: 1, strategies: ALL, kernelMode: false, engines: ['interp'], length: 1 }).runs * 3);
    }
  });

  it('an engine that changes a modelled number is a host failure naming the first field that differs, with a reproducer', () => {
    // a VMM that prints a character when its CPU runs on the JIT: the console, a modelled output, now depends on the engine
    const native = STRATEGIES.native as Strategy;
    const leaky: Strategy = { ...native, name: 'leaky', start: (ctx) => {
      if (ctx.cpus[0].engine === 'jit') ctx.platform.console.put(0x4a);
      return native.start(ctx);
    } };
    const r = fuzz({ programs: 1, seed: 3, strategies: [leaky], kernelMode: false, engines: ['interp', 'jit'] });
    expect(r.runs).to.equal(2);
    expect(r.counts['host-failure']).to.equal(1);
    expect(r.failures).to.have.length(1);
    expect(r.failures[0].engine).to.equal('jit');
    expect(r.failures[0].detail).to.match(/^engine jit changed a modelled number \(against interp\): console: "(.*)" vs "J\1"$/);
    expect(r.failures[0].source).to.match(/^; ringlab fuzz: fuzz-3-0/);
  });

  it('a run cut off by a budget is a guest-level stop, not a divergence: the cut falls elsewhere under a VMM (a kernel printing in a loop)', () => {
    // kernel 1 of seed 15 prints until the instruction budget: 13,333 characters natively, 12,500 under binary translation
    const r = fuzz({ programs: 2, seed: 15, strategies: [STRATEGIES['binary-translation']] as Strategy[], kernelMode: true, engines: ['interp'] });
    expect(r.failures).to.deep.equal([]);
    expect(r.counts['not-equivalent']).to.equal(0);
    expect(r.counts['guest-stop']).to.be.greaterThan(0);
  });

  it("a run that ends where native's own run was cut off by a budget is a guest-level stop too (a kernel that idles until its timer fires)", () => {
    // natively the loop retires the 50,000-instruction budget long before the 1 ms timer fires;
    // binary translation without chaining enters its monitor at every iteration, reaches the
    // timer within the budget and shuts down: no outcome of native's to compare it with
    const gates = [...Array(0x21)].map((_, v) => `        .word ${v === 0x20 ? 'tick, 1' : '0, 0'}`).join('\n');
    const source = `        li sp, 0x9000\n        li r1, idt\n        lidt r1\n        li r1, 1000\n        out 0x40, r1\n        sti\nidle:   jmp idle\ntick:   li r1, 0\n        out 244, r1\n        hlt\n        .align 8\nidt:\n${gates}\n`;
    const image = assemble(source, { origin: 0 });
    if (isLeft(image)) throw new Error(JSON.stringify(image.left));
    const o = fuzzProgram({ name: 'timer', mode: 'kernel', source, image: image.right }, [STRATEGIES['binary-translation']] as Strategy[], fuzzProfile());
    expect(o.failures).to.deep.equal([]);
    expect(o.counts['not-equivalent']).to.equal(0);
    expect(o.counts['guest-stop']).to.equal(o.runs);
  });

  it('the same seed gives the same programs and the same report', () => {
    const a = randomUserProgram(seededRandom(5), 'p', 30);
    const b = randomUserProgram(seededRandom(5), 'p', 30);
    expect(a.source).to.equal(b.source);
    expect(randomUserProgram(seededRandom(6), 'p', 30).source).to.not.equal(a.source);
    const spec = { programs: 3, seed: 9, strategies: [STRATEGIES['binary-translation'], STRATEGIES.native] as Strategy[], kernelMode: false };
    expect(fuzz(spec)).to.deep.equal(fuzz(spec));
  });

  it('on worker threads: the same report as in one thread, kernel mode too', async () => {
    const user = { programs: 4, seed: 31, strategies: [STRATEGIES.paravirt, STRATEGIES['hardware-assisted']] as Strategy[], kernelMode: false };
    expect(await fuzzOnWorkers(user, 2)).to.deep.equal(fuzz(user));
    const kernels = { programs: 3, seed: 32, strategies: [STRATEGIES.native, STRATEGIES.paravirt] as Strategy[], kernelMode: true, length: 16 };
    expect(await fuzzOnWorkers(kernels, 2)).to.deep.equal(fuzz(kernels));
  });

  it('programs draw on every row of the ISA table', () => {
    const r = seededRandom(1);
    const text = Array.from({ length: 40 }, (_, k) => randomUserProgram(r, `p${k}`, 40).source).join('\n');
    const missing = MNEMONICS.filter((m) => !new RegExp(`: ${m}\\b`).test(text));
    expect(missing).to.deep.equal([]);
  });

  it('an unexpected divergence keeps its program as a reproducer too', () => {
    // a VMM that prints a character natively unseen: the console differs from native's under every engine
    const native = STRATEGIES.native as Strategy;
    const chatty: Strategy = { ...native, name: 'chatty', start: (ctx) => {
      ctx.platform.console.put(0x4a);
      return native.start(ctx);
    } };
    const r = fuzz({ programs: 1, seed: 3, strategies: [chatty], kernelMode: false, engines: ['interp'] });
    expect(r.counts['not-equivalent']).to.equal(1);
    expect(r.expectedDivergences).to.equal(0);
    expect(r.failures.map((f) => [f.verdict, f.program])).to.deep.equal([['not-equivalent', 'fuzz-3-0']]);
    expect(r.failures[0].source).to.match(/^; ringlab fuzz: fuzz-3-0 \(user mode\)/);
  });

  it('a host exception is a host failure, with a reproducer written', () => {
    const broken: Strategy = { ...STRATEGIES.native, name: 'broken', start: () => { throw new RangeError('Maximum call stack size exceeded'); } } as Strategy;
    const r = fuzz({ programs: 2, seed: 1, strategies: [broken], kernelMode: false, engines: ['interp'] });
    expect(r.counts['host-failure']).to.equal(2);
    expect(r.failures[0].detail).to.equal('host exception: RangeError: Maximum call stack size exceeded');
    expect(r.failures[0].source).to.match(/^; ringlab fuzz: fuzz-1-0 \(user mode\)/);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-fuzz-'));
    try {
      expect(writeReproducers(r, out)).to.deep.equal([path.join(out, 'fuzz-1-0.s'), path.join(out, 'fuzz-1-1.s')]);
      expect(fs.readFileSync(path.join(out, 'fuzz-1-0.s'), 'utf8')).to.equal(r.failures[0].source);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

