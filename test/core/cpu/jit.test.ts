/**
 * The JIT against the reference interpreter on small programs written to hit its hard cases:
 * code that rewrites itself inside a compiled region, code the host rewrites between runs,
 * faults in the middle of a region, a budget that ends inside a loop, timer interrupts in a
 * loop, paging off, and instructions it does not compile. Each program runs under both
 * engines (the JIT compiling every block at first sight) and the machines must agree on
 * registers, pc, flags, every counter, the clock and the stop reason.
 */
import { expect } from 'chai';
import type { Cpu } from '../../../core/cpu/cpu';
import type { Engine } from '../../../core/cpu/engine';
import { INSTRUCTION_CODE } from '../../../core/cpu/instruction-code';
import { jitOf } from '../../../core/cpu/jit';
import { cachedRegions, clearRegionCache, compileRegion, setMaxCachedRegions, YOUNG_CALLS } from '../../../core/cpu/jit-compile';
import { boot, enterUser, identity, idt, mapPages, P, PAGING_ON, sym, U, W, type SnippetOptions } from '../machine-helpers';

/** Everything modelled about a machine, as JSON. */
const state = (m: Cpu): string =>
  JSON.stringify({ regs: [...m.regs], pc: m.pc, flags: m.flags, cpl: m.cpl, stop: m.stopReason, snapshot: m.snapshot() });

/** Boot `source` under an engine, let `between` poke the machine after each of the runs of `budgets`, return the machine. */
const runOn = (engine: Engine, source: string, o: SnippetOptions, budgets: readonly number[], between?: (m: Cpu, k: number) => void): Cpu => {
  const m = boot(source, { ...o, engine });
  if (engine === 'jit') jitOf(m, { hot: 0 });
  const events: string[] = [];
  m.events.listen((e) => events.push(JSON.stringify(e)));
  budgets.forEach((b, k) => {
    m.run(b, o.maxCycles);
    between?.(m, k);
  });
  (m as Cpu & { seen?: string[] }).seen = events;
  return m;
};

/** Run under both engines and expect identical machines; returns the JIT's. */
const agree = (source: string, o: SnippetOptions = {}, budgets: readonly number[] = [100_000], between?: (m: Cpu, k: number) => void): Cpu => {
  const a = runOn('interp', source, o, budgets, between);
  const b = runOn('jit', source, o, budgets, between);
  expect(state(b)).to.equal(state(a));
  expect((b as Cpu & { seen?: string[] }).seen).to.deep.equal((a as Cpu & { seen?: string[] }).seen);
  return b;
};

const POWER_OFF = 'out POWER, r0';

/** Ring 3 with paging on (identity-mapped user pages): stores take the inline TLB path. */
const paged = (body: string) => `${enterUser('IOPL3', PAGING_ON)}
${body}`;
const pagedOptions: SnippetOptions = { setup: (m) => mapPages(m, identity(0, 0x20000, P | W | U)) };

const PATCH_LOOP = `
        li r1, 0
        li r2, 0
        li r3, 40
loop:   addi r2, r2, 1
        st [bump+4], r2
bump:   addi r1, r1, 1
        cmp r2, r3
        jnz loop
        ${POWER_OFF}
`;

const BYTE_AND_PUSH = `
        li sp, 0x3000
        li r1, 0
        li r4, 0
        li r5, 8
again:  ldb r6, [patch+4]
        addi r6, r6, 1
        stb [patch+4], r6
patch:  addi r1, r1, 0
        subi r5, r5, 1
        jnz again
        li sp, over+8
        push r4                 ; overwrites the immediate of the li below with 0
over:   li r7, 12345
        ${POWER_OFF}
`;

describe('JIT against the interpreter', () => {
  for (const [mode, wrap, o] of [
    ['paging off, ring 0', (b: string) => b, {}],
    ['paging on, ring 3', paged, pagedOptions],
  ] as const) {
    it(`a loop that patches an instruction later in its own region sees the new instruction at once (${mode})`, () => {
      // each round rewrites the immediate of \`bump\` (in the loop body, after the store) to the round number
      const m = agree(wrap(PATCH_LOOP), o);
      expect(m.regs[1]).to.equal((40 * 41) / 2);
      expect(jitOf(m).stats.instructions).to.be.greaterThan(0);
    });

    it(`a byte store into the next instruction word and a push over code are seen too (${mode})`, () => {
      const m = agree(wrap(BYTE_AND_PUSH), o);
      expect(m.regs[1]).to.equal(1 + 2 + 3 + 4 + 5 + 6 + 7 + 8);
      expect(m.regs[7]).to.equal(0);
    });
  }

  it('code the host rewrites between two runs (as DMA or a VMM would) runs as rewritten', () => {
    const src = `
        li r1, 0
loop:   addi r1, r1, 1
        jmp loop
`;
    const patch = (m: Cpu, k: number) => {
      // replace 'addi r1, r1, 1' by 'addi r1, r1, 1000' after the first run
      if (k === 0) m.memory.write32(sym(m, 'loop') + 4, 1000);
    };
    const m = agree(src, {}, [501, 500], patch);
    expect(m.regs[1]).to.equal(250 + 250 * 1000);
  });

  it('a fault in the middle of a compiled loop leaves pc, flags and counts as the interpreter does', () => {
    const m = agree(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r2, 1000
        li r3, 5
loop:   div r4, r2, r3
        add r5, r5, r4
        cmpi r5, 7
        subi r3, r3, 1
        jmp loop
de:     li r9, 99
        ${POWER_OFF}
${idt({ 0: 'de' })}`);
    expect(m.regs[9]).to.equal(99);
    expect(m.regs[3]).to.equal(0);
  });

  it('page faults, TLB misses and walks inside a loop in ring 3 count as in the interpreter', () => {
    const m = agree(
      `${enterUser(0, PAGING_ON)}
        li r1, 200
        li r6, 0x10000
loop:   ld r3, [r6]
        st [r6+4], r3
        addi r6, r6, 0x1000
        andi r6, r6, 0x1f000
        ori r6, r6, 0x10000
        subi r1, r1, 1
        jnz loop
        li r1, 0x30000
        ld r2, [r1]             ; the page directory is not a user page: #PF
pf:     ${POWER_OFF}
${idt({ 14: 'pf' })}`,
      { tlbEntries: 4, tlbWays: 2, setup: (m) => mapPages(m, [...identity(0, 0x20000, P | W | U), ...identity(0x30000, 0x32000, P | W)]) },
    );
    expect(m.stopReason?.kind).to.equal('shutdown');
    expect(m.cr[2]).to.equal(0x30000);
    expect(m.mmu.misses).to.be.greaterThan(200);
  });

  it('an instruction budget that ends inside a compiled loop ends it at the same instruction, every time', () => {
    for (const budget of [1, 2, 3, 7, 100, 1001, 4097]) agree('loop: addi r1, r1, 3\n xori r2, r1, 5\n jmp loop', {}, [budget, budget]);
  });

  it('timer interrupts arrive at the same instruction boundaries inside compiled loops', () => {
    const m = agree(
      `
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r1, 7
        out TIMER, r1
        li r2, 30
        sti
loop:   addi r3, r3, 1
        cmpi r2, 0
        jnz loop
        ${POWER_OFF}
tick:   subi r2, r2, 1
        out PIC_CMD, r0
        iret
${idt({ 0x20: 'tick' })}`,
      { maxCycles: 2_000_000 },
      [1_000_000],
    );
    expect(m.regs[2]).to.equal(0);
    expect(m.stopReason?.kind).to.equal('shutdown');
    expect(jitOf(m).stats.instructions).to.be.greaterThan(m.instructions / 2);
  });

  it('an instruction whose code row the JIT does not find when it compiles is left to the interpreter', () => {
    const saved = INSTRUCTION_CODE.add;
    delete INSTRUCTION_CODE.add;
    try {
      const m = agree('li r1, 100\nloop: add r2, r2, r1\n subi r1, r1, 1\n jnz loop\n' + POWER_OFF);
      expect(m.regs[2]).to.equal(5050);
      expect(jitOf(m).stats.interpreted).to.be.greaterThan(0);
      expect(jitOf(m).stats.instructions).to.be.below(m.instructions);
    } finally {
      INSTRUCTION_CODE.add = saved;
    }
  });
});

describe('the JIT region cache', () => {
  const SIX = [0, 1, 2, 3, 4, 5].map((k) => `l${k}:    addi r1, r1, ${k + 1}\n        hlt`).join('\n');

  it('a region compiled again is the cached one; when the cache is full the least recently used half goes, so code met again and again (the kernel) survives one-shot code', () => {
    const m = boot(SIX);
    const at = (k: number): number => sym(m, `l${k}`);
    const compile = (k: number) => compileRegion(m, [at(k)], at(k))!.block;
    const saved = setMaxCachedRegions(4);
    try {
      clearRegionCache();
      const kernel = compile(0);
      expect(compile(0)).to.equal(kernel);
      const one = compile(1);
      compile(2);
      compile(3);
      // the kernel's region is used again: now the most recent
      expect(compile(0)).to.equal(kernel);
      // full: adding drops the two least recently used (1 and 2), not the kernel's
      compile(4);
      expect(cachedRegions()).to.equal(3);
      expect(compile(0)).to.equal(kernel);
      expect(compile(1)).to.not.equal(one);
    } finally {
      setMaxCachedRegions(saved);
    }
  });

  it('a new region runs one block per call for its first YOUNG_CALLS calls, then whole bursts', () => {
    // a region is young once per process: not one an earlier test compiled
    clearRegionCache();
    const m = runOn('jit', `li r1, 1000\nloop:   addi r2, r2, 3\n        subi r1, r1, 1\n        jnz loop\n        hlt`, {}, [100_000]);
    const stats = jitOf(m).stats;
    expect(m.regs[2]).to.equal(3000);
    // the entry block (li and the loop's first pass) and 999 passes of the loop block, all compiled
    expect(stats.instructions).to.equal(4 + 3 * 999);
    expect(stats.runs).to.equal(YOUNG_CALLS + 1);
  });

  it('the same words at the same pc in ring 3 are another region than in ring 0', () => {
    const m = boot(SIX);
    const pc = sym(m, 'l0');
    const kernel = compileRegion(m, [pc], pc)!.block;
    m.cpl = 3;
    expect(compileRegion(m, [pc], pc)!.block).to.not.equal(kernel);
  });
});
