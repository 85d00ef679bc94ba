/**
 * The translator on small hand-written guest kernel snippets: the exact translated code
 * (as assembly, placed at the start of the translation cache 0xff002000), the recovery map
 * and the sites; unit size limit and unit ends at control flow; every sensitive instruction
 * of the table is rewritten.
 */
import { expect } from 'chai';
import { makeInstruction } from '../../../core/isa/codec';
import { ISA, MNEMONICS } from '../../../core/isa/table';
import { needsRewrite, translateUnit, translationKind, maxUnitBytes, MAX_BYTES_PER_INSTRUCTION } from '../../../strategies/binary-translation/translator';
import { MIN_CACHE_BYTES, MAX_UNIT } from '../../../strategies/binary-translation/binary-translation';
import { assembleSnippet, codeOf, listing, translateAt } from './helpers';

describe('binary translation: the translator', () => {
  it('copies innocuous instructions unchanged (IDENT) and ends the unit at ret with a cache lookup', () => {
    const { unit, p } = translateAt(
      `
k:      add r1, r2, r3
        ld r4, [r5+8]
        st [r6+12], r4
        push r7
        ret`,
      'k',
    );
    expect(listing(unit)).to.deep.equal(['add r1, r2, r3', 'ld r4, [r5+0x8]', 'st [r6+0xc], r4', 'push r7', 'int 0xf1']);
    // IDENT: the guest words themselves
    expect(unit.words.slice(0, 6)).to.deep.equal(Array.from(new Int32Array(p.bytes.buffer, p.bytes.byteOffset, 6)));
    expect(unit.sites).to.deep.equal([{ offset: 24, site: { kind: 'lookup', flow: 'return', ra: 0, guestPc: 0x1018, guestNext: 0x101c } }]);
    expect(unit.guestInstructions).to.equal(5);
    expect(unit.guestBytes).to.equal(28);
  });

  it('rewrites pc-relative lea into li of the absolute guest address', () => {
    const { unit } = translateAt(
      `
k:      lea r2, data
        ret
data:   .word 0`,
      'k',
    );
    expect(listing(unit)).to.deep.equal(['li r2, 0x100c', 'int 0xf1']);
  });

  it('turns CLI into a store of r0 to the virtual IF word and reads/writes of virtual registers into loads/stores', () => {
    const { unit } = translateAt(
      `
k:      cli
        rdcr r3, cr2
        wrcr cr4, r3
        lidt r5
        sidt r6
        smsw r7
        rdcpl r8
        ret`,
      'k',
    );
    expect(listing(unit)).to.deep.equal([
      'st [0xff000000], r0',
      'ld r3, [0xff000048]',
      'st [0xff000050], r3',
      'st [0xff000008], r5',
      'ld r6, [0xff000008]',
      'ld r7, [0xff000040]',
      'li r8, 0x0',
      'int 0xf1',
    ]);
  });

  it('writes cr8 inline, followed by the doorbell load; cr3 writes, port I/O, pushf/popf/sti and invlpg are callouts', () => {
    const { unit } = translateAt(
      `
k:      wrcr cr8, r2
        wrcr cr3, r2
        in r1, 0x3f9
        out 0x3f8, r1
        pushf
        popf
        sti
        invlpg r4
        ret`,
      'k',
    );
    expect(listing(unit)).to.deep.equal([
      'st [0xff000060], r2',
      'ld r0, [0xff001000]',
      'int 0xf0',
      'int 0xf0',
      'int 0xf0',
      'int 0xf0',
      'int 0xf0',
      'int 0xf0',
      'int 0xf0',
      'int 0xf1',
    ]);
    const callouts = unit.sites.flatMap((s) => (s.site.kind === 'callout' ? [s.site.callout] : []));
    expect(callouts).to.deep.equal(['wrcr', 'in', 'out', 'pushf', 'popf', 'sti', 'invlpg']);
    // after the cr8 store the guest is past the wrcr: the doorbell load resumes at the next instruction
    expect(unit.info.map((i) => i.guestPc).slice(0, 4)).to.deep.equal([0x1000, 0x1000, 0x1004, 0x1004]);
  });

  it('rewrites a conditional branch into jcc over the fall-through exit to the taken exit', () => {
    const { unit } = translateAt(
      `
k:      cmpi r1, 3
        jz k`,
      'k',
    );
    expect(listing(unit)).to.deep.equal(['cmpi r1, 0x3', 'jz 0xff002018', 'int 0xf2', 'nop', 'int 0xf2', 'nop']);
    expect(unit.sites.map((s) => [s.offset, s.site])).to.deep.equal([
      [16, { kind: 'exit', target: 0x1010 }],
      [24, { kind: 'exit', target: 0x1000 }],
    ]);
  });

  it('translates a direct call into a push of the guest return address (r1 borrowed through the spill slot) and a continuation', () => {
    const { unit } = translateAt(
      `
k:      call f
        nop
f:      ret`,
      'k',
    );
    expect(listing(unit)).to.deep.equal(['st [0xff000004], r1', 'li r1, 0x1008', 'push r1', 'ld r1, [0xff000004]', 'int 0xf2', 'nop']);
    // recovery: before the push r1 holds the return address (restore it from the spill slot);
    // before the reload the call is done (resume at its target, restoring r1)
    const at = (offset: number) => unit.info[offset / 4];
    expect(at(16)).to.deep.equal({ guestPc: 0x1000, spill: 1 });
    expect(at(20)).to.deep.equal({ guestPc: 0x100c, spill: 1 });
    expect(at(28)).to.deep.equal({ guestPc: 0x100c, spill: 0 });
  });

  it('turns indirect jumps and calls into lookups, and int/iret/hlt/vmcall into callouts ending the unit', () => {
    for (const [src, flow] of [
      ['jmpr r3', 'indirect-jump'],
      ['callr r3', 'indirect-call'],
    ] as const) {
      const { unit } = translateAt(`k: nop\n ${src}\n nop`, 'k');
      expect(listing(unit)).to.deep.equal(['nop', 'int 0xf1']);
      expect(unit.sites[0].site).to.deep.include({ kind: 'lookup', flow, ra: 3 });
    }
    for (const [src, callout] of [
      ['int 0x80', 'int'],
      ['iret', 'iret'],
      ['vmcall', 'vmcall'],
    ] as const) {
      const { unit } = translateAt(`k: nop\n ${src}\n nop`, 'k');
      expect(listing(unit)).to.deep.equal(['nop', 'int 0xf0']);
      expect(unit.sites[0].site).to.deep.include({ kind: 'callout', callout });
    }
    const { unit } = translateAt(`k: hlt\n nop`, 'k');
    expect(listing(unit)).to.deep.equal(['int 0xf0', 'int 0xf2', 'nop']);
  });

  it('ends a unit after `unit` guest instructions with a continuation to the next one', () => {
    const body = Array.from({ length: 20 }, (_, k) => `addi r1, r1, ${k}`).join('\n');
    const { unit } = translateAt(`k:\n${body}`, 'k', 12);
    expect(unit.guestInstructions).to.equal(12);
    expect(listing(unit).slice(-2)).to.deep.equal(['int 0xf2', 'nop']);
    expect(unit.sites).to.deep.equal([{ offset: 96, site: { kind: 'exit', target: 0x1000 + 96 } }]);
    expect(translateAt(`k:\n${body}`, 'k', 1).unit.guestInstructions).to.equal(1);
  });

  it('ends a unit at control flow: a jump is the last instruction translated', () => {
    const { unit } = translateAt(
      `
k:      nop
        jmp k
        nop`,
      'k',
    );
    expect(unit.guestInstructions).to.equal(2);
    expect(listing(unit)).to.deep.equal(['nop', 'int 0xf2', 'nop']);
    expect(unit.sites[0].site).to.deep.equal({ kind: 'exit', target: 0x1000 });
  });

  it('turns an undecodable word into a callout that raises #UD, and stops before unmapped code', () => {
    const bad = translateAt(`k: nop\n .word 0xff000000\n nop`, 'k').unit;
    expect(listing(bad)).to.deep.equal(['nop', 'int 0xf0']);
    expect(bad.sites[0].site).to.deep.include({ kind: 'callout', callout: 'invalid', instruction: null });
    const p = assembleSnippet('k: nop\n nop', {}, 0x1000);
    const t = translateUnit(codeOf(p), 0x1000, { maxInstructions: 12 });
    expect(t.ok && listing(t.unit)).to.deep.equal(['nop', 'nop', 'int 0xf2', 'nop']);
    expect(translateUnit(codeOf(p), 0x2000, { maxInstructions: 12 })).to.deep.equal({ ok: false, unmapped: 0x2000 });
  });

  it('translates a store adaptive BT marked as a pte-write callout', () => {
    const p = assembleSnippet('k: nop\n st [r3+0xc0000000], r2\n ret', {}, 0x1000);
    const t = translateUnit(codeOf(p), 0x1000, { maxInstructions: 12, calloutStores: new Set([0x1004]) });
    expect(t.ok && listing(t.unit)).to.deep.equal(['nop', 'int 0xf0', 'int 0xf1']);
    expect(t.ok && t.unit.sites[0].site).to.deep.include({ kind: 'callout', callout: 'pte-write', guestPc: 0x1004 });
  });

  it('rewrites every privileged, sensitive or trapping instruction of the table (none is IDENT)', () => {
    for (const m of MNEMONICS) {
      const kind = translationKind(makeInstruction(m, { imm12: 8 }));
      if (needsRewrite(m)) expect(kind, m).to.not.equal('ident');
      else if (ISA[m].flow === 'next') expect(kind, m).to.equal(ISA[m].pcRelative ? 'absolute' : 'ident');
    }
  });

  it('sizes the smallest cache to hold the largest unit', () => {
    expect(MAX_BYTES_PER_INSTRUCTION).to.equal(36);
    expect(maxUnitBytes(MAX_UNIT)).to.be.at.most(MIN_CACHE_BYTES);
  });
});
