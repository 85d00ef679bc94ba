import { expect } from 'chai';
import type { Cpu } from '../../../core/cpu/cpu';

import { Port } from '../../../core/devices/ports';
import { Flag } from '../../../core/isa/table';
import type { VmExit } from '../../../core/vmx/exits';
import { createVmcs, noExits, type Vmcs } from '../../../core/vmx/vmcs';
import { boot, identity, idt, mapPages, P, sym, W, wordsAt } from '../machine-helpers';
import { countsOf } from '../counts';
import { runVcpu } from '../../../core/cpu/vcpu-loop';

type Handler = (m: Cpu, exit: VmExit, vmcs: Vmcs, n: number) => void;

/** Resume the guest at the instruction after the exiting one. */
const skip: Handler = (m, e, vmcs) => {
  if (!('nextPc' in e)) throw new Error(`exit '${e.reason}' has no nextPc`);
  vmcs.guest.pc = e.nextPc;
  m.vmEnter(vmcs);
};

/**
 * Load `source` at 0, enter it as a guest (ring 0, paging off, no nested paging) with the
 * VMCS prepared by `configure`, and run. The exit handler records every exit and calls
 * `handler` (default: do not resume, which stops the run).
 */
const guest = (source: string, configure: (v: Vmcs, m: Cpu) => void = () => undefined, handler?: Handler, budget = 1000) => {
  const m = boot(source);
  const vmcs = createVmcs(0);
  configure(vmcs, m);
  const exits: VmExit[] = [];
  const onVmExit = (e: VmExit): void => {
    exits.push(e);
    handler?.(m, e, vmcs, exits.length);
  };
  m.vmEnter(vmcs);
  const stop = runVcpu(m, { onVmExit }, budget);
  return { m, vmcs, exits, stop };
};

const notResumed = (reason: string) => ({ kind: 'stopped', detail: `the VMM did not resume the guest after a '${reason}' exit` });

describe('VMX: non-root mode and VM exits', () => {
  it('vmEnter loads the guest state; a VM exit saves it back into the VMCS', () => {
    const { m, vmcs, exits, stop } = guest(
      'rdcpl r2\nsidt r3\nmov r4, r1\naddi r5, r5, 1\nvmcall',
      (v) => {
        v.guest.regs[1] = 0x111;
        v.guest.regs[5] = 41;
        v.guest.idtBase = 0x900;
        v.guest.flags = Flag.CF;
        v.guest.cr[8] = 3;
      },
    );
    expect(stop).to.deep.equal(notResumed('vmcall'));
    expect(exits).to.deep.equal([{ reason: 'vmcall', pc: 20, nextPc: 24 }]);
    expect(Array.from(vmcs.guest.regs.subarray(1, 6))).to.deep.equal([0x111, 0, 0x900, 0x111, 42]);
    expect(vmcs.guest.pc).to.equal(20);
    expect(vmcs.guest.flags).to.equal(0); // addi cleared CF
    expect(vmcs.guest.cr[8]).to.equal(3);
    expect(m.nonRoot).to.equal(false);
    expect(countsOf(m).vm).to.deep.equal({ entries: 1, exits: { vmcall: 1 } });
    expect(countsOf(m).retiredNonRoot).to.equal(4);
  });

  it('without an exit handler the run stops as vm-exit-unhandled', () => {
    const m = boot('nop\nvmcall');
    m.vmEnter(createVmcs(0));
    expect(m.run(100)).to.deep.equal({ kind: 'vm-exit-unhandled', exit: { reason: 'vmcall', pc: 4, nextPc: 8 } });
  });

  describe('exit controls', () => {
    it('hlt: HLT exits; the handler advances pc and re-enters', () => {
      const { m, exits, stop, vmcs } = guest(
        'li r1, 5\nhlt\nli r2, 6\nhlt',
        (v) => (v.controls.hlt = true),
        (m, e, v, n) => n === 1 && skip(m, e, v, n),
      );
      expect(exits).to.deep.equal([
        { reason: 'hlt', pc: 8, nextPc: 12 },
        { reason: 'hlt', pc: 20, nextPc: 24 },
      ]);
      expect(stop).to.deep.equal(notResumed('hlt'));
      expect([vmcs.guest.regs[1], vmcs.guest.regs[2]]).to.deep.equal([5, 6]);
      expect(countsOf(m).vm).to.deep.equal({ entries: 2, exits: { hlt: 2 } });
      // the exiting HLTs do not retire in the guest
      expect(countsOf(m).retiredNonRoot).to.equal(2);
      expect(countsOf(m).retiredByRing).to.deep.equal([2, 0, 0, 0]);
      expect(countsOf(m).halts).to.equal(0);
    });

    it('io: only ports in the I/O bitmap exit, with port, direction and register', () => {
      const { m, exits, stop } = guest(
        `li r1, 'A'
        out CONSOLE, r1
        in r3, 0x60
        out 0x60, r1
        cli
        hlt`,
        (v) => v.controls.ioBitmap.add(0x60),
        (m, e, v, n) => {
          if (e.reason === 'io' && e.direction === 'in') v.guest.regs[e.register] = 0x42;
          skip(m, e, v, n);
        },
      );
      expect(exits).to.deep.equal([
        { reason: 'io', pc: 12, nextPc: 16, port: 0x60, direction: 'in', register: 3 },
        { reason: 'io', pc: 16, nextPc: 20, port: 0x60, direction: 'out', register: 1 },
      ]);
      expect(stop).to.deep.equal({ kind: 'halted', pc: 24 });
      expect(m.regs[3]).to.equal(0x42);
      expect(m.platform.console.text()).to.equal('A');
      expect(countsOf(m).io.out).to.deep.equal({ 0x3f8: 1 });
      expect(countsOf(m).vm).to.deep.equal({ entries: 3, exits: { io: 2 } });
    });

    it('io: unconditionalIo makes every IN and OUT exit', () => {
      const { m, exits } = guest("li r1, 'A'\nout CONSOLE, r1\nin r2, CONSOLE_STATUS\ncli\nhlt", (v) => (v.controls.unconditionalIo = true), skip);
      expect(exits).to.deep.equal([
        { reason: 'io', pc: 8, nextPc: 12, port: 0x3f8, direction: 'out', register: 1 },
        { reason: 'io', pc: 12, nextPc: 16, port: 0x3f9, direction: 'in', register: 2 },
      ]);
      expect(m.platform.console.text()).to.equal('');
      expect(countsOf(m).io).to.deep.equal({ in: {}, out: {}, emulated: {} });
    });

    it('cr-access: reads and writes exit per control register, with cr number and register', () => {
      const { m, exits, vmcs } = guest(
        `li r5, 0x10
        rdcr r2, cr3
        rdcr r4, cr0
        wrcr cr0, r5
        wrcr cr8, r5
        cli
        hlt`,
        (v) => {
          v.guest.cr[3] = 0x7000;
          v.guest.cr[0] = 0x20;
          v.controls.crReadExiting = 1 << 3;
          v.controls.crWriteExiting = 1 << 0;
        },
        skip,
      );
      expect(exits).to.deep.equal([
        { reason: 'cr-access', pc: 8, nextPc: 12, cr: 3, direction: 'read', register: 2 },
        { reason: 'cr-access', pc: 16, nextPc: 20, cr: 0, direction: 'write', register: 5 },
      ]);
      expect(m.regs[2]).to.equal(0); // the read exited: the VMM did not emulate it
      expect(m.regs[4]).to.equal(0x20);
      expect(m.cr[0]).to.equal(0x20); // the write exited
      expect(m.cr[8]).to.equal(0x10);
      expect(vmcs.guest.cr[8]).to.equal(0); // saved at the last exit, before the cr8 write
    });

    it('invlpg and lidt exit with the address and the base', () => {
      const { m, exits } = guest(
        'li r1, 0x5123\ninvlpg r1\nli r2, 0x900\nlidt r2\ncli\nhlt',
        (v) => {
          v.controls.invlpg = true;
          v.controls.lidt = true;
        },
        skip,
      );
      expect(exits).to.deep.equal([
        { reason: 'invlpg', pc: 8, nextPc: 12, address: 0x5123 },
        { reason: 'lidt', pc: 20, nextPc: 24, base: 0x900 },
      ]);
      expect(m.idtBase).to.equal(0);
      expect(countsOf(m).tlb.invlpg).to.equal(0);
    });

    it('vmcall exits from any guest CPL', () => {
      const { m, exits } = guest('vmcall', (v) => (v.guest.cpl = 3));
      expect(exits).to.deep.equal([{ reason: 'vmcall', pc: 0, nextPc: 4 }]);
      expect(m.cpl).to.equal(3);
    });

    it('with every control off the same instructions run in the guest without exits', () => {
      const { m, exits, stop } = guest(
        `li r1, 'B'
        out CONSOLE, r1
        in r3, CONSOLE_STATUS
        rdcr r2, cr3
        wrcr cr8, r1
        li r4, 0x5000
        invlpg r4
        li r4, 0x900
        lidt r4
        hlt`,
        (v) => (v.guest.cr[3] = 0x7000),
      );
      expect(exits).to.deep.equal([]);
      expect(stop).to.deep.equal({ kind: 'halted', pc: 48 });
      expect(m.nonRoot).to.equal(true);
      expect([m.platform.console.text(), m.regs[3], m.regs[2], m.cr[8], m.idtBase]).to.deep.equal(['B', 1, 0x7000, 66, 0x900]);
      expect(countsOf(m).vm).to.deep.equal({ entries: 1, exits: {} });
      expect(countsOf(m).retiredNonRoot).to.equal(10);
      expect(countsOf(m).halts).to.equal(1);
    });

    it('exception bitmap: a chosen vector exits with vector and error code instead of using the guest IDT', () => {
      const { exits, m } = guest(
        `li sp, 0x2000
        li r1, IDT
        lidt r1
fault:  .word 0xff000000
ud:     hlt
${idt({ 6: 'ud' })}`,
        (v) => (v.controls.exceptionBitmap = 1 << 6),
      );
      expect(exits).to.deep.equal([{ reason: 'exception', pc: sym(m, 'fault'), vector: 6, errorCode: 0, faultAddress: 0 }]);
      expect(m.regs[15]).to.equal(0x2000);
    });

    it('exception bitmap: #GP at guest CPL 3 and #PF with error code and fault address', () => {
      const gp = guest('nop\ncli', (v) => {
        v.guest.cpl = 3;
        v.controls.exceptionBitmap = 1 << 13;
      });
      expect(gp.exits).to.deep.equal([{ reason: 'exception', pc: 4, vector: 13, errorCode: 0, faultAddress: 0 }]);
      const pf = guest(
        'nop\nst [r0+0x8010], r1',
        (v, m) => {
          mapPages(m, identity(0, 0x1000, P | W));
          v.guest.cr[0] = 1;
          v.guest.cr[3] = 0x30000;
          v.controls.exceptionBitmap = 1 << 14;
        },
      );
      expect(pf.exits).to.deep.equal([{ reason: 'exception', pc: 4, vector: 14, errorCode: 2, faultAddress: 0x8010 }]);
      expect(pf.vmcs.guest.cr[2]).to.equal(0);
    });

    it('exceptions not in the bitmap go through the guest IDT', () => {
      const { exits, m, stop } = guest(
        `li sp, 0x2000
        li r1, IDT
        lidt r1
fault:  .word 0xff000000
ud:     hlt
${idt({ 6: 'ud' })}`,
        (v) => (v.controls.exceptionBitmap = 1 << 13),
      );
      expect(exits).to.deep.equal([]);
      expect(stop).to.deep.equal({ kind: 'halted', pc: sym(m, 'ud') });
      expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'fault'), 0, 0, 0x2000]);
      expect(countsOf(m).exceptions).to.deep.equal({ 6: 1 });
    });

    it('a guest triple fault is a VM exit', () => {
      const { exits, m } = guest('nop\n.word 0xff000000');
      expect(exits).to.have.length(1);
      expect(exits[0]).to.deep.include({ reason: 'triple-fault', pc: 4 });
      expect(countsOf(m).exceptions).to.deep.equal({ 6: 1, 8: 1 });
      expect(countsOf(m).vm.exits).to.deep.equal({ 'triple-fault': 1 });
    });

    it('external-interrupt exiting: a pending interrupt exits even with guest IF = 0', () => {
      const { exits, m, stop } = guest('loop: jmp loop', (v, m) => {
        v.controls.externalInterruptExiting = true;
        m.portWrite(Port.timerPeriod, 50);
      });
      expect(exits).to.deep.equal([{ reason: 'external-interrupt', pc: 0 }]);
      expect(stop).to.deep.equal(notResumed('external-interrupt'));
      expect(m.time).to.equal(50);
      expect(countsOf(m).retiredNonRoot).to.equal(50);
      expect(countsOf(m).interrupts).to.deep.equal({});
    });

    it('without external-interrupt exiting the interrupt goes through the guest IDT', () => {
      const { exits, m, stop } = guest(
        `li sp, 0x2000
        li r1, IDT
        lidt r1
        li r1, F_IF
        push r1
        popf
loop:   jmp loop
tick:   hlt
${idt({ 0x20: 'tick' })}`,
        (_v, m) => m.portWrite(Port.timerPeriod, 50),
      );
      expect(exits).to.deep.equal([]);
      expect(stop).to.deep.equal({ kind: 'halted', pc: sym(m, 'tick') });
      expect(countsOf(m).interrupts).to.deep.equal({ 32: 1 });
      expect(m.time).to.equal(51);
    });

    it('interrupt-window exiting: exits at once when the guest starts with IF = 1', () => {
      const { exits } = guest('nop\nhlt', (v) => {
        v.guest.flags = Flag.IF;
        v.controls.interruptWindowExiting = true;
      });
      expect(exits).to.deep.equal([{ reason: 'interrupt-window', pc: 0 }]);
    });

    it('interrupt-window exiting: exits right after a POPF that sets IF', () => {
      const { exits } = guest(
        'li sp, 0x2000\nli r1, F_IF\npush r1\npopf\nnop\nhlt',
        (v) => (v.controls.interruptWindowExiting = true),
      );
      expect(exits).to.deep.equal([{ reason: 'interrupt-window', pc: 24 }]);
    });

    // BUG: same STI-shadow problem as in test/core/devices/timer-pic.test.ts: the shadow lasts
    // to the end of the burst, so the window exit comes only at the next system instruction.
    // Expected: exit { reason: 'interrupt-window', pc: 16 } (after STI at 8 and one NOP);
    // actual: the guest runs on (nop, nop, hlt) and exits with pc 28 after the HLT.
    it('interrupt-window exiting: exits one instruction after STI', () => {
      const { exits } = guest('nop\nnop\nsti\nnop\nnop\nnop\nhlt', (v) => (v.controls.interruptWindowExiting = true));
      expect(exits).to.deep.equal([{ reason: 'interrupt-window', pc: 16 }]);
    });

    it('noExits() has every control off', () => {
      expect(noExits()).to.deep.equal({
        hlt: false,
        invlpg: false,
        lidt: false,
        crWriteExiting: 0,
        crReadExiting: 0,
        unconditionalIo: false,
        ioBitmap: new Set(),
        exceptionBitmap: 0,
        externalInterruptExiting: false,
        interruptWindowExiting: false,
      });
    });
  });

  describe('counts and injection', () => {
    it('entries, exits and guest instructions are counted exactly over a VMCALL loop', () => {
      const { m, stop } = guest('li r1, 3\nloop: vmcall\nsubi r1, r1, 1\njnz loop\nhlt', () => undefined, skip);
      expect(stop).to.deep.equal({ kind: 'halted', pc: 28 });
      expect(countsOf(m).vm).to.deep.equal({ entries: 4, exits: { vmcall: 3 } });
      expect(countsOf(m).retiredNonRoot).to.equal(8);
      expect(countsOf(m).retiredByRing).to.deep.equal([8, 0, 0, 0]);
    });

    it('guest instructions at CPL 3 count in ring 3 and as non-root', () => {
      const { m } = guest('nop\nnop\nvmcall', (v) => (v.guest.cpl = 3));
      expect(countsOf(m).retiredByRing).to.deep.equal([0, 0, 0, 2]);
      expect(countsOf(m).retiredNonRoot).to.equal(2);
    });

    it('an injected external interrupt is delivered through the guest IDT on entry', () => {
      const source = `
        nop
        nop
        hlt
h:      hlt
${idt({ 0x30: 'h' })}`;
      const { m, stop } = guest(source, (v) => {
        v.guest.regs[15] = 0x2000;
        v.guest.idtBase = 0x800;
        v.guest.flags = Flag.IF | Flag.ZF;
        v.guest.pc = 4;
        v.injection = { vector: 0x30, type: 'external' };
      });
      expect(stop).to.deep.equal({ kind: 'halted', pc: sym(m, 'h') });
      expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([4, 0, Flag.IF | Flag.ZF, 0x2000]);
      expect(m.flags).to.equal(Flag.ZF);
      expect(m.instructions).to.equal(1);
    });

    it('an exception exit re-injected with its error code reaches the guest handler with the same frame', () => {
      const { m, stop, exits, vmcs } = guest(
        `li sp, 0x2000
        li r1, IDT
        lidt r1
fault:  ld r2, [r0+0x8010]
        hlt
pf:     hlt
${idt({ 14: 'pf' })}`,
        (v, m) => {
          mapPages(m, identity(0, 0x3000, P | W));
          v.guest.cr[0] = 1;
          v.guest.cr[3] = 0x30000;
          v.controls.exceptionBitmap = 1 << 14;
        },
        (m, e, v) => {
          if (e.reason !== 'exception') return;
          v.guest.cr[2] = e.faultAddress;
          v.injection = { vector: e.vector, errorCode: e.errorCode, type: 'exception' };
          m.vmEnter(v);
        },
      );
      expect(exits).to.have.length(1);
      expect(stop).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
      expect(wordsAt(m, 0x2000 - 20, 5)).to.deep.equal([0, sym(m, 'fault'), 0, 0, 0x2000]);
      expect(m.cr[2]).to.equal(0x8010);
      expect(vmcs.injection).to.equal(null);
      expect(countsOf(m).vm).to.deep.equal({ entries: 2, exits: { exception: 1 } });
    });
  });
});
