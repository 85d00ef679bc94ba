import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { formatAsmError, type Program } from '../../../core/asm';
import { ISA, MNEMONICS, type Mnemonic } from '../../../core/isa/table';
import { buildKernel, kernelCode, kernelCodeRange, type KernelBuild, type KernelOptions } from '../../../core/guest/kernel-image';

/** Privileged or sensitive on this ISA: what a paravirtual kernel must never execute. */
const SENSITIVE = new Set<string>(
  MNEMONICS.filter((m: Mnemonic) => ISA[m].privilege !== 'none' || ISA[m].sensitivity !== 'none' || ISA[m].flaw),
);

const kernel = (build: KernelBuild, options: KernelOptions = {}): Program => {
  const r = buildKernel(build, options);
  if (E.isLeft(r)) throw new Error(r.left.map(formatAsmError).join('\n'));
  return r.right;
};

/** Mnemonics of the kernel's code region, with the source file of each instruction. */
const code = (k: Program) => {
  const files = new Map(k.sourceMap.map((s) => [s.address, s.file]));
  return kernelCode(k).map((l) => ({ address: l.address, text: l.text, mnemonic: l.text.split(' ')[0], file: files.get(l.address) ?? '?' }));
};

describe('guest kernel builds', () => {
  it('the sensitive set derived from the table is the expected one', () => {
    expect([...SENSITIVE].sort()).to.deep.equal(
      ['cli', 'hlt', 'in', 'invlpg', 'iret', 'lidt', 'out', 'popf', 'pushf', 'rdcpl', 'rdcr', 'sidt', 'smsw', 'sti', 'sysexit', 'wrcr'].sort(),
    );
  });

  for (const [name, build, options] of [
    ['native', 'native', {}],
    ['paravirt', 'paravirt', {}],
    ['paravirt without batching', 'paravirt', { batching: false }],
  ] as const) {
    it(`${name}: the code region holds instructions only, and data follows it`, () => {
      const k = kernel(build, options);
      const lines = code(k);
      expect(lines.filter((l) => l.mnemonic.startsWith('.'))).to.deep.equal([]);
      const { end } = kernelCodeRange(k);
      expect(end).to.be.greaterThan(0x1000);
      expect(k.symbols.syscall_table).to.be.at.least(end);
      expect(k.symbols.trap_list).to.be.at.least(end);
      // every instruction of the image lies before kernel_code_end
      expect(k.sourceMap.filter((s) => s.address >= end && !/data\.s$/.test(s.file))).to.deep.equal([]);
    });
  }

  it('native: no vmcall; every privileged or sensitive instruction comes from pvops.s', () => {
    const lines = code(kernel('native'));
    expect(lines.filter((l) => l.mnemonic === 'vmcall')).to.deep.equal([]);
    const sensitive = lines.filter((l) => SENSITIVE.has(l.mnemonic));
    expect(sensitive.filter((l) => !l.file.endsWith('pvops.s'))).to.deep.equal([]);
    // it really uses the hardware the way a native kernel does
    const used = new Set(sensitive.map((l) => l.mnemonic));
    for (const m of ['cli', 'sti', 'hlt', 'pushf', 'popf', 'rdcr', 'wrcr', 'lidt', 'invlpg', 'in', 'out', 'iret'])
      expect(used.has(m), m).to.equal(true);
  });

  for (const batching of [true, false]) {
    it(`paravirt (batching ${batching ? 'on' : 'off'}): no privileged or sensitive instruction at all, hypercalls instead`, () => {
      const lines = code(kernel('paravirt', { batching }));
      expect(lines.filter((l) => SENSITIVE.has(l.mnemonic)).map((l) => `0x${l.address.toString(16)}: ${l.text} (${l.file})`)).to.deep.equal([]);
      expect(lines.filter((l) => l.mnemonic === 'vmcall').length).to.be.greaterThan(10);
    });
  }

  it('paravirt: batching changes only how page-table updates are sent', () => {
    const on = kernel('paravirt', { batching: true });
    const off = kernel('paravirt', { batching: false });
    expect(on.symbols.pv_switch_multicall).to.be.a('number');
    expect(off.symbols.pv_switch_multicall).to.be.a('number');
    expect(on.bytes.length).to.not.equal(off.bytes.length);
  });

  it('builds are cached', () => {
    expect(buildKernel('native')).to.equal(buildKernel('native'));
    expect(buildKernel('paravirt')).to.not.equal(buildKernel('native'));
  });
});
