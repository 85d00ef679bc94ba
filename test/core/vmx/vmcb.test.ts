import { expect } from 'chai';
import type { Cpu } from '../../../core/cpu/cpu';
import { runVcpu } from '../../../core/cpu/vcpu-loop';
import { ISA, MNEMONICS, type HardwareFlavour, type Mnemonic } from '../../../core/isa/table';
import type { VmExit } from '../../../core/vmx/exits';
import { createVmcb, Intercept1, isVmcb, SvmExit } from '../../../core/vmx/vmcb';
import { createVmcs, type ExitControls, type Vmcs } from '../../../core/vmx/vmcs';
import { boot } from '../machine-helpers';

/** Run `source` as a guest at ring 0 (paging off) under `vmcs`; the first exit stops the run. */
const firstExit = (source: string, vmcs: Vmcs): { exits: VmExit[]; m: Cpu } => {
  const m = boot(source);
  const exits: VmExit[] = [];
  m.vmEnter(vmcs);
  runVcpu(m, { onVmExit: (e) => void exits.push(e) }, 50);
  return { exits, m };
};

/** Every control that selects an exit, set. */
const selectEverything = (c: ExitControls): void => {
  c.hlt = true;
  c.invlpg = true;
  c.lidt = true;
  c.crWriteExiting = 0xffff;
  c.crReadExiting = 0xffff;
  c.unconditionalIo = true;
  // pause-loop exiting with a window below zero: every PAUSE ends a spin longer than the window
  c.pauseLoopExiting = { gap: 1 << 30, window: -1 };
};

/** One instruction of each mnemonic whose exit the table states, followed by a stop. */
const SAMPLE: Partial<Record<Mnemonic, string>> = {
  hlt: 'hlt',
  rdcr: 'rdcr r1, cr0',
  wrcr: 'wrcr cr2, r1',
  lidt: 'lidt r1',
  invlpg: 'invlpg r1',
  in: 'in r1, 0x3f8',
  out: 'out 0x3f8, r1',
  smsw: 'smsw r1',
  vmcall: 'vmcall',
  pause: 'pause',
};

const block: Record<HardwareFlavour, () => Vmcs> = { vmx: () => createVmcs(0), svm: () => createVmcb(0) };

describe('AMD-V: the VMCB', () => {
  it('its exit controls are views of the intercept bit vectors', () => {
    const v = createVmcb(0);
    v.controls.hlt = true;
    v.controls.externalInterruptExiting = true;
    v.controls.interruptWindowExiting = true;
    expect(v.control.intercept1).to.equal(Intercept1.HLT | Intercept1.INTR | Intercept1.VINTR);
    v.controls.interruptWindowExiting = false;
    expect(v.control.intercept1).to.equal(Intercept1.HLT | Intercept1.INTR);
    v.controls.ioBitmap = new Set([0x3f8]);
    expect(v.control.intercept1 & Intercept1.IOIO_PROT).to.not.equal(0);
    expect(v.controls.unconditionalIo).to.equal(false);
    v.controls.unconditionalIo = true;
    expect(v.controls.ioBitmap.has(0x21)).to.equal(true);
    v.nestedRoot = 0x5000;
    expect([v.control.npEnable, v.control.nCr3]).to.deep.equal([true, 0x5000]);
    // no CR0 read shadow: the guest reads the save area's cr0 unless reads are intercepted
    v.cr0ReadShadow = 0;
    expect(v.cr0ReadShadow).to.equal(null);
    // ASID-tagged translations survive the world switch unless TLB_CONTROL flushes them
    expect(v.vpid).to.equal(false);
    v.vpid = true;
    expect([v.vpid, v.control.asid, v.control.tlbControlFlushAll]).to.deep.equal([true, 1, false]);
    expect(isVmcb(v)).to.equal(true);
    expect(isVmcb(createVmcs(0))).to.equal(false);
  });

  it('#VMEXIT writes EXITCODE, EXITINFO1 and EXITINFO2 into the VMCB', () => {
    const v = createVmcb(0);
    v.controls.unconditionalIo = true;
    const { exits } = firstExit('li r1, 7\nin r2, 0x3f8', v);
    expect(exits).to.deep.equal([{ reason: 'io', pc: 8, nextPc: 12, port: 0x3f8, direction: 'in', register: 2 }]);
    expect([v.control.exitCode, v.control.exitInfo1, v.control.exitInfo2]).to.deep.equal([SvmExit.VMEXIT_IOIO, (0x3f8 << 16) | 1, 12]);
    const w = createVmcb(0);
    w.controls.crWriteExiting = 1 << 3;
    firstExit('li r1, 0x1000\nwrcr cr3, r1', w);
    expect(w.control.exitCode).to.equal(SvmExit.VMEXIT_CR0_WRITE + 3);
  });

  it('SMSW exits with the CR0 read intercept and reads the save area otherwise', () => {
    const v = createVmcb(0);
    v.guest.cr[0] = 0x10;
    v.controls.crReadExiting = 1;
    const { exits } = firstExit('smsw r3', v);
    expect(exits).to.deep.equal([{ reason: 'cr-access', pc: 0, nextPc: 4, cr: 0, direction: 'read', register: 3 }]);
    expect(v.control.exitCode).to.equal(SvmExit.VMEXIT_CR0_READ);
    const w = createVmcb(0);
    w.guest.cr[0] = 0x10;
    const r = firstExit('smsw r3\nvmcall', w);
    expect(r.exits.map((e) => e.reason)).to.deep.equal(['vmcall']);
    expect(w.guest.regs[3]).to.equal(0x10);
  });

  describe("the ISA table's `exits` column is what the processor does, under each flavour", () => {
    for (const flavour of ['vmx', 'svm'] as const)
      for (const m of MNEMONICS) {
        const says = ISA[m].exits[flavour];
        if (says === 'never') continue;
        it(`${m} under ${flavour}: ${says}`, () => {
          const source = SAMPLE[m];
          expect(source, `a sample of ${m}`).to.be.a('string');
          const on = block[flavour]();
          selectEverything(on.controls);
          expect(firstExit(`${source}\nvmcall`, on).exits[0].pc, 'exits at the instruction when selected').to.equal(0);
          const off = block[flavour]();
          const first = firstExit(`${source}\nvmcall`, off).exits[0];
          expect(first?.pc === 0, 'exits with nothing selected').to.equal(says === 'always');
        });
      }
    it('the rows that never exit include every innocuous instruction (but VMCALL, and PAUSE under pause-loop exiting)', () => {
      for (const m of MNEMONICS) if (ISA[m].sensitivity === 'none' && ISA[m].privilege === 'none' && m !== 'vmcall' && m !== 'pause') expect(ISA[m].exits, m).to.deep.equal({ vmx: 'never', svm: 'never' });
    });
  });
});
