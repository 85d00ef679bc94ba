import { expect } from 'chai';
import type { Cpu } from '../../../core/cpu/cpu';
import { INSTRUCTION_CODE } from '../../../core/cpu/instruction-code';
import { MNEMONIC_BY_OPCODE } from '../../../core/isa/codec';
import { MNEMONICS, Vector } from '../../../core/isa/table';
import { warmUpInterpreter, warmUpMachine } from '../../../core/platform/warm-up';
import { countsOf } from '../counts';

/** The mode an instruction runs in, as the warm-up's three passes differ. */
const modeOf = (m: Cpu): string => (!m.mmu.paging ? 'paging off' : m.cpl === 0 ? 'ring 0, paging' : 'ring 3');

describe('the interpreter warm-up (core/platform/warm-up.ts)', () => {
  // the program run one instruction at a time: what retired, where, and whether it walked the page tables
  const m = warmUpMachine();
  const retired = new Map<string, Set<string>>();
  const walked = new Set<string>();
  // memory rows that hit the TLB in ring 3 on the page of the burst's last hit, and on the
  // page of the hit before it (the inline path's two remembered slots: fastSlot)
  const hitAfterHit = new Set<string>();
  const hitOnSecond = new Set<string>();
  const isMemoryRow = (mn: string): boolean => INSTRUCTION_CODE[mn as keyof typeof INSTRUCTION_CODE]?.memory !== undefined && INSTRUCTION_CODE[mn as keyof typeof INSTRUCTION_CODE]!.memory !== 'none';
  /** The page a memory row at pc accesses, from the registers before it runs (load and store formats: [rb + imm]; the stack rows: sp). */
  const dataPage = (mn: string, word: number, pc: number): number => {
    const sp = m.regs[15];
    if (mn === 'pop' || mn === 'ret') return sp >>> 12;
    if (mn === 'push' || mn === 'call' || mn === 'callr') return ((sp - 4) | 0) >>> 12;
    return ((m.regs[(word >>> 16) & 15] + m.memory.read32(pc + 4)) | 0) >>> 12;
  };
  // the burst's remembered pages, as fastSlot keeps their slots: the last hit's and the one before (-1: none known)
  let lastHitPage = -1;
  let secondHitPage = -1;
  /** A walk (it may refill either slot) or a burst's end: no remembered page known. */
  const forgetHits = (): void => {
    lastHitPage = -1;
    secondHitPage = -1;
  };
  let stop = m.run(1);
  let steps = 0;
  while (stop.kind === 'budget' && steps++ < 100_000) {
    const mode = modeOf(m);
    const before = m.instructions;
    const walks = m.mmu.walkReferences;
    const pc = m.pc;
    // the program's pages are identity-mapped: the word at pc is at physical pc (read without the MMU, which would count)
    const word = m.memory.read32(pc);
    const page = isMemoryRow(MNEMONIC_BY_OPCODE[word >>> 24] ?? '?') ? dataPage(MNEMONIC_BY_OPCODE[word >>> 24]!, word, pc) : -1;
    stop = m.run(1);
    if (m.instructions === before + 1) {
      const mn = MNEMONIC_BY_OPCODE[word >>> 24] ?? '?';
      if (!retired.has(mode)) retired.set(mode, new Set());
      retired.get(mode)!.add(mn);
      if (m.mmu.walkReferences > walks && mode !== 'paging off') walked.add(mn);
      if (isMemoryRow(mn)) {
        const hit = m.mmu.walkReferences === walks && mode === 'ring 3';
        if (!hit) forgetHits();
        else if (page === lastHitPage) hitAfterHit.add(mn);
        else {
          if (page === secondHitPage) hitOnSecond.add(mn);
          secondHitPage = lastHitPage;
          lastHitPage = page;
        }
      } else if (INSTRUCTION_CODE[mn as keyof typeof INSTRUCTION_CODE] === undefined) forgetHits(); // a system instruction ends the burst
    }
  }

  it('ends by writing the power port, well within its budget', () => {
    expect(stop.kind).to.equal('shutdown');
    expect(m.instructions).to.be.within(1_000, 20_000);
  });

  it('retires every innocuous row of the ISA table in ring 3, and every row that reads or writes memory in each mode', () => {
    const innocuous = MNEMONICS.filter((mn) => INSTRUCTION_CODE[mn] !== undefined);
    expect([...retired.keys()]).to.have.members(['paging off', 'ring 0, paging', 'ring 3']);
    expect([...retired.get('ring 3')!]).to.include.members(innocuous);
    for (const [mode, seen] of retired) expect([...seen], mode).to.include.members(innocuous.filter(isMemoryRow));
  });

  it('misses the TLB with paging on in every row that reads or writes memory', () => {
    const memory = MNEMONICS.filter((mn) => INSTRUCTION_CODE[mn] !== undefined && INSTRUCTION_CODE[mn]!.memory !== 'none');
    expect([...walked]).to.include.members(memory);
  });

  it("in ring 3, runs every row that reads or writes memory on the page of its burst's last TLB hit (the last-slot shortcut)", () => {
    const memory = MNEMONICS.filter((mn) => isMemoryRow(mn));
    expect([...hitAfterHit]).to.include.members(memory);
  });

  it('in ring 3, runs every row that reads or writes memory on the page of the hit before the last (the second remembered slot)', () => {
    const memory = MNEMONICS.filter((mn) => isMemoryRow(mn));
    expect([...hitOnSecond]).to.include.members(memory);
  });

  it("takes each fault the interpreter's burst raises: #DE, #UD, #GP, #PF", () => {
    const exceptions = countsOf(m).exceptions as Record<string, number>;
    for (const v of [Vector.divideError, Vector.invalidOpcode, Vector.generalProtection, Vector.pageFault]) expect(exceptions[v], `vector ${v}`).to.be.greaterThan(0);
  });

  it('runs once per process (or worker thread): a second call does nothing', () => {
    warmUpInterpreter();
    expect(warmUpInterpreter()).to.equal(false);
  });
});
