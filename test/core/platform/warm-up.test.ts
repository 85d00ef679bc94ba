import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../../core/asm';
import type { Cpu } from '../../../core/cpu/cpu';
import { INSTRUCTION_CODE } from '../../../core/cpu/instruction-code';
import { MNEMONIC_BY_OPCODE } from '../../../core/isa/codec';
import { MNEMONICS, Vector } from '../../../core/isa/table';
import { uniprocessor } from '../../../core/platform/uniprocessor';
import { warmUpInterpreter, warmUpSource } from '../../../core/platform/warm-up';
import { countsOf } from '../counts';

/** The mode an instruction runs in, as the warm-up's three passes differ. */
const modeOf = (m: Cpu): string => (!m.mmu.paging ? 'paging off' : m.cpl === 0 ? 'ring 0, paging' : 'ring 3');

describe('the interpreter warm-up (core/platform/warm-up.ts)', () => {
  // the program run one instruction at a time: what retired, where, and whether it walked the page tables
  const program = assemble(warmUpSource(), { file: 'warm-up.s' });
  if (isLeft(program)) throw new Error(JSON.stringify(program.left));
  const m = uniprocessor({ memoryBytes: 4 << 20, engine: 'interp' });
  m.load(0, program.right.bytes);
  const retired = new Map<string, Set<string>>();
  const walked = new Set<string>();
  let stop = m.run(1);
  let steps = 0;
  while (stop.kind === 'budget' && steps++ < 100_000) {
    const mode = modeOf(m);
    const before = m.instructions;
    const walks = m.mmu.walkReferences;
    const pc = m.pc;
    // the program's pages are identity-mapped: the word at pc is at physical pc (read without the MMU, which would count)
    const word = m.memory.read32(pc);
    stop = m.run(1);
    if (m.instructions === before + 1) {
      const mn = MNEMONIC_BY_OPCODE[word >>> 24] ?? '?';
      if (!retired.has(mode)) retired.set(mode, new Set());
      retired.get(mode)!.add(mn);
      if (m.mmu.walkReferences > walks && mode !== 'paging off') walked.add(mn);
    }
  }

  it('ends by writing the power port, well within its budget', () => {
    expect(stop.kind).to.equal('shutdown');
    expect(m.instructions).to.be.within(5_000, 20_000);
  });

  it('retires every innocuous row of the ISA table in each mode: paging off, ring 0 with paging, ring 3', () => {
    const innocuous = MNEMONICS.filter((mn) => INSTRUCTION_CODE[mn] !== undefined);
    expect([...retired.keys()]).to.have.members(['paging off', 'ring 0, paging', 'ring 3']);
    for (const [mode, seen] of retired) expect([...seen], mode).to.include.members(innocuous);
  });

  it('misses the TLB with paging on in every row that reads or writes memory', () => {
    const memory = MNEMONICS.filter((mn) => INSTRUCTION_CODE[mn] !== undefined && INSTRUCTION_CODE[mn]!.memory !== 'none');
    expect([...walked]).to.include.members(memory);
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
