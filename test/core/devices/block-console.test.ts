import { expect } from 'chai';
import type { MachineEvent } from '../../../core/events/events';
import { boot, idt, runSnippet, stopOf, sym } from '../machine-helpers';
import { countsOf } from '../counts';

/** Starts a block request (sector r1, address r2, command r3) and waits for its interrupt. */
const request = (sector: number, address: number, command: number) => `
        li sp, 0x2000
        li r2, IDT
        lidt r2
        li r1, ${sector}
        li r2, ${address}
        li r3, ${command}
        out BLK_SECTOR, r1
        out BLK_ADDR, r2
        out BLK_CMD, r3        ; at time 8
        in r4, BLK_CMD
        sti
        hlt
after:  cli
        hlt
disk:   in r5, BLK_CMD
        out PIC_CMD, r0
        iret
${idt({ 0x22: 'disk' })}`;

const pattern = (i: number) => (i * 7) ^ 0x5a;

describe('devices: block device and console', () => {
  describe('block device', () => {
    it('reads a sector into memory by DMA and raises IRQ 2 (vector 0x22) after the latency', () => {
      const m = runSnippet(request(3, 0x4000, 1), {
        diskLatencyUs: 50,
        setup: (m) => {
          for (let i = 0; i < 512; i++) m.platform.disk.data[3 * 512 + i] = pattern(i);
          m.memory.u8.fill(0xee, 0x4200, 0x4204);
        },
      });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'after') + 4 });
      expect(Array.from(m.memory.u8.subarray(0x4000, 0x4200))).to.deep.equal(
        Array.from({ length: 512 }, (_, i) => pattern(i) & 0xff),
      );
      expect(Array.from(m.memory.u8.subarray(0x4200, 0x4204))).to.deep.equal([0xee, 0xee, 0xee, 0xee]);
      expect([m.regs[4], m.regs[5]]).to.deep.equal([1, 0]); // busy right after the command, done in the handler
      expect(countsOf(m).interrupts).to.deep.equal({ 34: 1 });
      // 12 instructions up to the HLT at time 12, idle until 8 + 50 = 58, handler 3, cli, hlt
      expect(m.instructions).to.equal(17);
      expect(m.time).to.equal(63);
      expect([m.platform.disk.reads, m.platform.disk.writes]).to.deep.equal([1, 0]);
    });

    it('writes memory to a sector', () => {
      const m = runSnippet(request(5, 0x4000, 2), {
        diskLatencyUs: 50,
        setup: (m) => {
          for (let i = 0; i < 512; i++) m.memory.u8[0x4000 + i] = pattern(i);
        },
      });
      expect(stopOf(m).kind).to.equal('halted');
      expect(Array.from(m.platform.disk.data.subarray(5 * 512, 6 * 512))).to.deep.equal(
        Array.from({ length: 512 }, (_, i) => pattern(i) & 0xff),
      );
      expect(m.platform.disk.data.subarray(4 * 512, 5 * 512).every((b) => b === 0)).to.equal(true);
      expect([m.platform.disk.reads, m.platform.disk.writes]).to.deep.equal([0, 1]);
      expect(countsOf(m).interrupts).to.deep.equal({ 34: 1 });
    });

    it('the default latency is 75 microseconds (a late-2000s SSD): 75 cycles on the 1 MHz test machine', () => {
      const m = runSnippet(request(0, 0x4000, 1));
      expect(m.time).to.equal(8 + 75 + 5);
    });

    for (const [what, sector, command] of [
      ['a sector past the end', 256, 1],
      ['an unknown command', 0, 3],
    ] as const) {
      it(`${what} sets the error status and raises no interrupt`, () => {
        const m = runSnippet(request(sector, 0x4000, command), { diskLatencyUs: 50 });
        expect(stopOf(m).kind).to.equal('idle');
        expect(m.regs[4]).to.equal(2);
        expect(countsOf(m).interrupts).to.deep.equal({});
      });
    }

    it('a command while busy is ignored', () => {
      const m = runSnippet(`
        li r1, 1
        out BLK_SECTOR, r1
        li r2, 0x4000
        out BLK_ADDR, r2
        out BLK_CMD, r1     ; at time 4: done at 54
        li r3, 2
        out BLK_CMD, r3     ; ignored
        cli
        hlt`, { diskLatencyUs: 50 });
      expect(m.platform.disk.deadline).to.equal(54);
      expect(m.platform.disk.status).to.equal(1);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: 44 });
    });

    it('the sector and address registers read back', () => {
      const m = runSnippet(`
        li r1, 7
        out BLK_SECTOR, r1
        li r1, 0x1234
        out BLK_ADDR, r1
        in r2, BLK_SECTOR
        in r3, BLK_ADDR
        in r4, BLK_CMD
        hlt`);
      expect([m.regs[2], m.regs[3], m.regs[4]]).to.deep.equal([7, 0x1234, 0]);
    });
  });

  describe('console and other ports', () => {
    it('collects output bytes as text (low byte only)', () => {
      const m = runSnippet(`
        li r1, 'H'
        out CONSOLE, r1
        li r1, 0x169     ; low byte 'i'
        out CONSOLE, r1
        li r1, 10
        out CONSOLE, r1
        in r2, CONSOLE_STATUS
        hlt`);
      expect(m.platform.console.text()).to.equal('Hi\n');
      expect(m.platform.console.length).to.equal(3);
      expect(m.regs[2]).to.equal(1);
      expect(countsOf(m).io).to.deep.equal({ in: { 0x3f9: 1 }, out: { 0x3f8: 3 }, emulated: {} });
    });

    it('echoes to a live sink', () => {
      const seen: number[] = [];
      const m = boot("li r1, 'x'\nout CONSOLE, r1\nhlt");
      m.platform.console.echo = (b) => seen.push(b);
      m.run(10);
      expect(seen).to.deep.equal([0x78]);
    });

    it('unknown ports read all ones and ignore writes', () => {
      const m = runSnippet('in r1, 0x123\nli r2, 5\nout 0x123, r2\nhlt');
      expect(m.regs[1]).to.equal(-1);
      expect(stopOf(m).kind).to.equal('halted');
    });

    it('the region marker emits start and end events', () => {
      const marks: MachineEvent[] = [];
      const m = boot('li r1, 1\nout MARKER, r1\nnop\nli r1, 2\nout MARKER, r1\nhlt');
      m.events.listen((e) => e.kind === 'region' && marks.push(e));
      m.run(100);
      expect(marks).to.deep.equal([
        { kind: 'region', t: 1, mark: 'start' },
        { kind: 'region', t: 4, mark: 'end' },
      ]);
    });

    it('the power port stops the machine with the exit code at once', () => {
      const m = runSnippet('li r1, -3\nout POWER, r1\nli r2, 1\nhlt');
      expect(stopOf(m)).to.deep.equal({ kind: 'shutdown', exitCode: -3 });
      expect(m.instructions).to.equal(2);
      expect(m.regs[2]).to.equal(0);
    });

    it('the power port works from ring 3 when IOPL = 3', () => {
      const m = runSnippet(`
        li sp, 0x2000
        li r1, 0x3000
        push r1
        li r1, IOPL3
        push r1
        li r1, 3
        push r1
        lea r1, user
        push r1
        iret
user:   li r1, 7
        out POWER, r1`);
      expect(stopOf(m)).to.deep.equal({ kind: 'shutdown', exitCode: 7 });
      expect(countsOf(m).retiredByRing).to.deep.equal([10, 0, 0, 2]);
    });
  });
});
