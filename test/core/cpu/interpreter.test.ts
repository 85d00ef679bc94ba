import { expect } from 'chai';
import { interpretCaught, interpreterSource, NOTHING_THROWN } from '../../../core/cpu/interpreter';
import { GuestFault } from '../../../core/isa/fault';
import type { Cpu } from '../../../core/cpu/cpu';
import { ENGINE_NAMES, type Engine } from '../../../core/cpu/engine';
import { A, boot, D, identity, idt, iretTo, kernelStart, mapPages, P, PAGING_ON, PT, runSnippet, stopOf, sym, U, W, word, wordsAt } from '../machine-helpers';
import { jitOf } from '../../../core/cpu/jit';
import { countsOf } from '../counts';
import { INSTRUCTION_CODE } from '../../../core/cpu/instruction-code';
import { SYSTEM_SEMANTICS } from '../../../core/cpu/semantics';
import { HAS_EXT_BY_OPCODE, MNEMONIC_BY_OPCODE, RESERVED_BITS_BY_OPCODE } from '../../../core/isa/codec';
import { ISA, MNEMONICS, Vector } from '../../../core/isa/table';
import { IsaVariant, privilegeOf } from '../../../core/isa/variant';

describe('interpreter dispatch (generated from the ISA table and the code rows)', () => {
  const source = interpreterSource();
  const cases = [...source.matchAll(/case (\d+) \/\* (\w+) \*\//g)].map((c) => [Number(c[1]), c[2]] as const);
  const caseText = (mn: string): string => {
    const at = source.indexOf(`/* ${mn} */`);
    const end = [source.indexOf('\ncase ', at), source.indexOf('default:', at)].filter((i) => i >= 0);
    return source.slice(at, Math.min(...end));
  };

  const innocuous = MNEMONICS.filter((mn) => INSTRUCTION_CODE[mn] !== undefined);

  it('has exactly one case per innocuous mnemonic, at the table\'s opcode, and none for system instructions', () => {
    for (const [op, name] of cases) expect(MNEMONIC_BY_OPCODE[op], `case ${op}`).to.equal(name);
    expect(cases.map(([, n]) => n)).to.have.members(innocuous).and.have.length(innocuous.length);
  });

  it('one source serves every ISA variant: innocuous rows are unprivileged on each, so their cases check no privilege', () => {
    for (const mn of innocuous) {
      for (const v of Object.values(IsaVariant)) expect(privilegeOf(mn, v), `${mn} on ${v}`).to.equal('none');
      expect(caseText(mn), mn).not.to.include('FAULTS.privileged');
    }
  });

  it("each case checks its row's reserved bits as a literal mask; the immediate is fetched once, before the switch, by the table", () => {
    for (const mn of innocuous) {
      const reserved = RESERVED_BITS_BY_OPCODE[ISA[mn].opcode];
      const text = caseText(mn);
      if (reserved !== 0) expect(text, mn).to.include(`if ((w & ${reserved | 0}) !== 0) { fault = FAULTS.reserved(w, pc); break burst; }`);
      else expect(text, mn).not.to.include('FAULTS.reserved');
      expect(text, mn).not.to.include('imm = i32[');
    }
    const head = source.slice(0, source.indexOf('switch (op)'));
    for (const shared of ['EXT[op]', 'imm = i32[']) expect(head, shared).to.include(shared);
    expect(head, 'no reserved-bit check before the switch').not.to.include('RESERVED[op]');
    expect(source.split('mmu.lookup((pc + 4) | 0').length - 1, 'immediate fetches').to.equal(1);
  });

  it('a word with a reserved bit set raises #UD, nothing retired, for every row that has reserved bits', () => {
    for (const mn of MNEMONICS) {
      const op = ISA[mn].opcode;
      const reserved = RESERVED_BITS_BY_OPCODE[op];
      if (reserved === 0) continue;
      const lowest = reserved & -reserved;
      // an immediate, if the row has one, is the word after it
      const m = boot(`.word ${(op << 24) | lowest}\n.word 0x12345678`);
      const thrown = interpretCaught(m);
      expect(thrown, mn).to.be.instanceOf(GuestFault);
      expect((thrown as GuestFault).vector, mn).to.equal(Vector.invalidOpcode);
      expect((thrown as GuestFault).detail, mn).to.match(/invalid instruction word/);
      expect([m.pc, m.instructions], mn).to.deep.equal([0, 0]);
    }
  });

  it("the system instructions' shared path (the switch's default) checks the opcode and privilege from the tables", () => {
    const path = source.slice(source.indexOf('default:'));
    for (const check of ['FAULTS.unassigned', 'privilege[op]', 'FAULTS.privileged']) expect(path, check).to.include(check);
    expect(source, "the CPU's privilege column").to.include('privilege = m.privilegeByOpcode');
  });

  it('an unassigned opcode has every bit reserved and no immediate, so the shared check raises its #UD before any fetch', () => {
    const assigned = new Set(MNEMONICS.map((mn) => ISA[mn].opcode));
    for (let op = 0; op < 256; op++)
      if (!assigned.has(op)) expect([RESERVED_BITS_BY_OPCODE[op], HAS_EXT_BY_OPCODE[op]], `opcode ${op}`).to.deep.equal([0xffffffff, 0]);
  });

  it('every row of the table is either an innocuous code row or a system instruction, not both', () => {
    for (const mn of MNEMONICS) {
      const coded = INSTRUCTION_CODE[mn] !== undefined;
      const system = Object.hasOwn(SYSTEM_SEMANTICS, mn);
      expect(coded !== system, mn).to.equal(true);
    }
  });
});

describe('interpreter: faults handed back to the run loop', () => {
  it('a burst that faults hands the fault back with pc at the faulting instruction and the instructions before it retired', () => {
    const m = boot('li r1, 5\nli r2, 0\ndiv r3, r1, r2\nhlt');
    const thrown = interpretCaught(m);
    expect(thrown).to.be.instanceOf(GuestFault);
    expect((thrown as GuestFault).vector).to.equal(Vector.divideError);
    expect(m.pc).to.equal(16);
    expect(m.instructions).to.equal(2);
    expect(m.regs[3]).to.equal(0);
  });

  it('a burst that raises nothing says so', () => {
    const m = boot('li r1, 5\nhlt');
    expect(interpretCaught(m)).to.equal(NOTHING_THROWN);
    expect(m.instructions).to.equal(2);
  });
});

describe('interpreter: TLB hits of instruction fetches (counted per burst, not per fetch)', () => {
  const layout = (m: Cpu) => mapPages(m, identity(0, 0x2000, P | W));

  for (const engine of ENGINE_NAMES)
    it(`${engine}: an immediate on the next page and the fetch after it go through the MMU; every other word hits the cached code page`, () => {
      const m = runSnippet(`${PAGING_ON}
        jmp far
        .org 0xff4
far:    nop
        nop
        li r2, 7
        nop
        hlt`, { setup: layout, engine });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: 0x1008 });
      expect(m.regs[2]).to.equal(7);
      // misses: the jmp (TLB flushed by cr0.PG), li's immediate at 0x1000; hits: jmp's
      // immediate, nop, nop, li, the nop at 0x1004 (through mmu.translate), hlt
      expect(countsOf(m).tlb).to.deep.include({ hits: 6, misses: 2, walkReferences: 4 });
    });

  /** Bursts until one hands back what it raised. */
  const untilRaised = (m: Cpu): unknown => {
    for (let i = 0; i < 10; i++) {
      const e = interpretCaught(m);
      if (e !== NOTHING_THROWN) return e;
    }
    throw new Error('nothing raised');
  };

  it('a fetch that faults is not counted; the words fetched before it are', () => {
    const m = boot(`${PAGING_ON}
        jmp 0x5000
        hlt`, { setup: layout });
    const e = untilRaised(m);
    expect(e).to.be.instanceOf(GuestFault);
    expect((e as GuestFault).vector).to.equal(Vector.pageFault);
    expect(m.pc).to.equal(0x5000);
    // the jmp: a miss, its immediate a hit; the fetch at 0x5000: a miss whose walk faults
    expect(countsOf(m).tlb).to.deep.include({ hits: 1, misses: 2, walkReferences: 4 });
  });

  it('an instruction that faults after its fetch counts its word', () => {
    const m = boot(`${PAGING_ON}
        li r1, 5
        li r2, 0
        div r3, r1, r2
        hlt`, { setup: layout });
    const e = untilRaised(m);
    expect((e as GuestFault).vector).to.equal(Vector.divideError);
    // the first li: a miss, its immediate a hit; the second li and its immediate, the div: hits
    expect(countsOf(m).tlb).to.deep.include({ hits: 4, misses: 1, walkReferences: 2 });
  });
});

describe('interpreter: the code page kept from one burst to the next', () => {
  /** Bursts until one hands back what it raised, or the CPU halts. */
  const burstsUntil = (m: Cpu): unknown => {
    for (let i = 0; i < 20 && !m.halted; i++) {
      const e = interpretCaught(m);
      if (e !== NOTHING_THROWN) return e;
    }
    return NOTHING_THROWN;
  };

  it('is dropped when the TLB drops its page: after INVLPG the next burst fetches through the new mapping', () => {
    // linear 0x1000 maps frame 0x1000, then frame 0x3000 (a copy whose word at `after` differs)
    const m = boot(`${PAGING_ON}
        jmp code
        .org 0x1000
code:   li sp, 0x2f00
        li r2, ${PT + 4}
        li r3, ${0x3000 | P | W}
        st [r2], r3             ; remapped; the TLB keeps the old entry until INVLPG
        pushf                   ; a system instruction: the burst ends on this page
        li r4, 0x1000
        invlpg r4               ; ends the burst and drops the page's entry
after:  li r1, 1
        hlt
        .org after + 0x2000
        li r1, 2
        hlt`, { setup: (c) => mapPages(c, [...identity(0, 0x3000, P | W), [PT, PT, P | W]]) });
    expect(burstsUntil(m)).to.equal(NOTHING_THROWN);
    expect([m.halted, m.regs[1]]).to.deep.equal([true, 2]);
  });

  it('is dropped when the TLB refilled since: a kernel page evicted and remapped by ring 3 is fetched through the new mapping', () => {
    // the kernel's page 0x1000 (TLB set 1 of 16, 4 ways) maps frame 0x1000; user code remaps it
    // to frame 0x3000 and evicts its entry with four more pages of set 1; its #GP enters the
    // kernel on that page, where frame 0x3000 has another handler
    const m = runSnippet(`${PAGING_ON}
        jmp kernel
        .org IDT + 13*8
        .word gp, KGATE
        .org 0x1000
kernel:${kernelStart(0x1f00, 0x1e00)}
${iretTo({ entry: 'user', sp: 0x2f00, cpl: 3 })}
gp:     li r1, 1
        hlt
        .org 0x2000
user:   li r2, ${PT + 4}
        li r3, ${0x3000 | P | W}
        st [r2], r3             ; PT is in set 1 too
        li r5, 0x11000
        ld r4, [r5]
        li r5, 0x21000
        ld r4, [r5]
        li r5, 0x41000
        ld r4, [r5]             ; the kernel page's entry is gone
        hlt                     ; #GP
        .org gp + 0x2000
        li r1, 2
        hlt`, {
      memoryBytes: 1 << 20,
      setup: (c) => mapPages(c, [...identity(0, 0x1000, P | W), [0x1000, 0x1000, P | W], [0x2000, 0x2000, P | U], [0x3000, 0x3000, P | W], [PT, PT, P | W | U], ...[0x11000, 0x21000, 0x41000].map((a) => [a, a, P | U] as [number, number, number])]),
    });
    expect([stopOf(m).kind, m.regs[1]]).to.deep.equal(['halted', 2]);
  });

  it('is kept per privilege: a return to ring 3 on a supervisor page faults on the fetch', () => {
    const m = boot(`${PAGING_ON}
        li sp, 0x1f00
${iretTo({ entry: 'back', sp: 0x1e00, cpl: 3 })}
back:   nop
        hlt`, { setup: (c) => mapPages(c, identity(0, 0x2000, P | W)) });
    const e = burstsUntil(m);
    expect(e).to.be.instanceOf(GuestFault);
    expect([(e as GuestFault).vector, m.pc, m.cpl]).to.deep.equal([Vector.pageFault, sym(m, 'back'), 3]);
  });
});

describe("interpreter and JIT: the inline data path tries the TLB slots of the last two data accesses first", () => {
  /** Boot and run `source` under `engine` (the JIT compiling every block at once). */
  const runOn = (engine: Engine, source: string, setup: (m: Cpu) => void): Cpu => {
    const m = boot(source, { setup, engine });
    if (engine === 'jit') jitOf(m, { hot: 0 });
    m.run(10_000);
    return m;
  };

  /**
   * The two remembered slots: the last hit's, and the one before it (reached after hits on
   * another page: `between` in the data-page tests, `before` in ring 3's, where slot 0 holds the
   * kernel's page and the user page's hit moves it to the second slot).
   */
  const SLOTS = [
    { slot: 'the last hit', between: '', pages: 0, before: '' },
    { slot: 'the hit before the last', between: '\n        ld r3, [r0+0x4000]\n        ld r3, [r0+0x4004]', pages: 1, before: '\n        ld r3, [r0+0x1100]        ; ring 3\'s code page, in the TLB since its fetch' },
  ];

  /** The loops run their loads and the store twice, so the JIT's compiled block runs them too. */
  for (const engine of ENGINE_NAMES)
    for (const { slot, between, pages, before } of SLOTS) {
      it(`${engine}: a store to a clean page in the slot of ${slot} re-walks to set the dirty bit`, () => {
        const m = runOn(engine, `${PAGING_ON}
        li r5, 2
again:  ld r2, [r0+0x5000]      ; a miss, then hits
        ld r2, [r0+0x5004]${between}
        st [r0+0x5008], r2      ; clean: through the MMU, which sets D
        subi r5, r5, 1
        jnz again
        hlt`, (c) => mapPages(c, identity(0, 0x6000, P | W)));
        expect(stopOf(m).kind).to.equal('halted');
        expect(word(m, PT + 5 * 4)).to.equal(0x5000 | P | W | A | D);
        // misses: the code page, each data page's first load, the first store (the dirty bit's walk)
        expect(countsOf(m).tlb).to.deep.include({ misses: 3 + pages, walkReferences: 2 * (3 + pages) });
      });

      it(`${engine}: a store to a read-only page in the slot of ${slot} faults`, () => {
        const m = runOn(engine, `
        li sp, 0x2f00
        li r1, IDT
        lidt r1
${PAGING_ON}
        ld r2, [r0+0x5000]
        ld r2, [r0+0x5004]${between}
fault:  st [r0+0x5008], r2
        hlt
pf:     hlt
${idt({ 14: 'pf' })}`, (c) => mapPages(c, [...identity(0, 0x5000, P | W), [0x5000, 0x5000, P]]));
        expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
        // the frame: error code (present, write), pc, CPL
        expect([m.cr[2], ...wordsAt(m, 0x2f00 - 20, 3)]).to.deep.equal([0x5008, 3, sym(m, 'fault'), 0]);
        expect(word(m, 0x5008)).to.equal(0);
      });

      it(`${engine}: ring 3's access to the supervisor page in the slot of ${slot} (slot 0) faults`, () => {
        // the kernel runs on page 0 (TLB set 0: its fill takes slot 0) and returns to ring 3 at 0x1000
        const m = runOn(engine, `${PAGING_ON}
        jmp kernel
        .org IDT + 14*8
        .word pf, KGATE
kernel:${kernelStart(0x2f00, 0x2e00)}
${iretTo({ entry: 'user', sp: 0x3f00, cpl: 3 })}
pf:     hlt
        .org 0x1000
user:${before}
at:     ld r2, [r0+0x10]        ; the kernel's page
        hlt`, (c) => mapPages(c, [[0, 0, P | W], ...identity(0x1000, 0x5000, P | W | U), [PT, PT, P | W]]));
        expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
        // the frame on ring 0's stack: error code (present, user), pc, CPL
        expect([m.cr[2], m.regs[2], ...wordsAt(m, 0x2e00 - 20, 3)]).to.deep.equal([0x10, 0, 5, sym(m, 'at'), 3]);
      });
    }
});

describe("interpreter and JIT: STI's interrupt shadow", () => {
  // the timer's first tick falls due while IF = 0; the handler records r2 and returns without
  // an EOI, so its line stays in service and no second interrupt comes; each later STI's
  // shadow holds another kind of instruction (a system instruction, a load that walks)
  const SOURCE = `
        li sp, 0x2f00
        li r1, IDT
        lidt r1
${PAGING_ON}
        li r1, 1000
        out TIMER, r1
        li r5, 600
wait:   subi r5, r5, 1          ; the tick falls due here, IF = 0: pending
        jnz wait
        sti
shadow: addi r2, r2, 1          ; runs before the interrupt
after:  addi r2, r2, 1
        cli
        sti
        pushf                   ; a system instruction in the shadow
        cli
        sti
        ld r3, [r0+0x4000]      ; a TLB miss in the shadow
        cli
        sti
        sti                     ; IF set already: no shadow
        addi r2, r2, 1
        out POWER, r0
tick:   mov r7, r2
        addi r6, r6, 1
        iret
${idt({ 0x20: 'tick' })}`;
  const setup = (c: Cpu): void => mapPages(c, identity(0, 0x5000, P | W));

  /** The program under `engine` (the JIT compiling every block at once), run whole or one instruction per call. */
  const run = (engine: Engine, stepped: boolean): Cpu => {
    const m = boot(SOURCE, { setup, engine });
    if (engine === 'jit') jitOf(m, { hot: 0 });
    if (!stepped) m.run(10_000);
    else for (let k = 0; k < 10_000 && m.run(1).kind === 'budget'; k++);
    return m;
  };

  for (const engine of ENGINE_NAMES) {
    it(`${engine}: a pending interrupt comes after exactly one instruction, and every count is as when each instruction is a burst of its own`, () => {
      const m = run(engine, false);
      expect(stopOf(m).kind).to.equal('shutdown');
      // r2 was 1 in the handler, which ran once and returned to 'after'
      expect([m.regs[7], m.regs[6], m.regs[2]]).to.deep.equal([1, 1, 3]);
      expect(word(m, 0x2f00 - 16)).to.equal(sym(m, 'after'));
      const s = run(engine, true);
      expect(stopOf(s).kind).to.equal('shutdown');
      expect([m.instructions, m.time, [...m.regs]]).to.deep.equal([s.instructions, s.time, [...s.regs]]);
      expect(countsOf(m)).to.deep.equal(countsOf(s));
    });
  }
});
