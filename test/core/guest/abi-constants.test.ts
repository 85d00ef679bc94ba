/**
 * The guest kernel's constants (kernel/layout.s) are a hand-written copy of the machine's
 * and the loader's: every one that has a TypeScript counterpart must agree with it. Read
 * from the assembled kernel's symbol table, so a renumbered port or a moved page fails here.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { Gate } from '../../../core/cpu/idt';
import { Irq, IRQ_BASE, Port } from '../../../core/devices/ports';
import { BOOT_MAGIC, BootFlags, BootInfo, GuestLayout } from '../../../core/guest/layout';
import { buildKernel } from '../../../core/guest/kernel-image';
import { Flag, Vector } from '../../../core/isa/table';
import { PAGE_SIZE, PfError, Pte } from '../../../core/mmu/pte';

const symbols = (): Record<string, number> => {
  const k = buildKernel('native');
  if (isLeft(k)) throw new Error('the kernel does not assemble');
  return k.right.symbols;
};

/** kernel symbol -> the TypeScript value it must equal. */
const PAIRS: Readonly<Record<string, number>> = {
  BOOT_INFO: GuestLayout.bootInfo,
  RESULT: GuestLayout.result,
  PROG_PHYS: GuestLayout.program,
  PROG_MAX: GuestLayout.programMax,
  USER_BASE: GuestLayout.userBase,
  STACK_TOP: GuestLayout.stackTop,
  SHARED_INFO: GuestLayout.sharedInfo,
  PHYS_OFFSET: GuestLayout.physOffset,
  RES_MAX: GuestLayout.resultMax,
  BOOT_MAGIC,
  BI_MAGIC: BootInfo.magic,
  BI_PROG_ADDR: BootInfo.programAddress,
  BI_PROG_SIZE: BootInfo.programSize,
  BI_PARAM: BootInfo.param,
  BI_MEM_SIZE: BootInfo.memorySize,
  BI_FLAGS: BootInfo.flags,
  PORT_PIC_CMD: Port.picCommand,
  PORT_PIC_MASK: Port.picMask,
  PORT_TIMER: Port.timerPeriod,
  PORT_MARK: Port.regionMarker,
  PORT_POWER: Port.power,
  PORT_BLK_SECTOR: Port.blockSector,
  PORT_BLK_ADDR: Port.blockAddress,
  PORT_BLK_CMD: Port.blockCommand,
  PORT_CON_DATA: Port.consoleData,
  PORT_CON_STATUS: Port.consoleStatus,
  IRQ_TIMER: Irq.timer,
  IRQ_BLOCK: Irq.block,
  VEC_IRQ0: IRQ_BASE,
  VEC_TIMER: IRQ_BASE + Irq.timer,
  VEC_CONSOLE: IRQ_BASE + Irq.console,
  VEC_BLOCK: IRQ_BASE + Irq.block,
  VEC_DE: Vector.divideError,
  VEC_UD: Vector.invalidOpcode,
  VEC_DF: Vector.doubleFault,
  VEC_GP: Vector.generalProtection,
  VEC_PF: Vector.pageFault,
  FL_IF: Flag.IF,
  GATE_P: Gate.present,
  GATE_DPL3: 3 << Gate.dplShift,
  GATE_TRAP: Gate.trap,
  PAGE_SIZE,
  PTE_P: Pte.present,
  PTE_W: Pte.writable,
  PTE_U: Pte.user,
  PTE_A: Pte.accessed,
  PTE_D: Pte.dirty,
  PF_PRESENT: PfError.present,
  PF_WRITE: PfError.write,
  PF_USER: PfError.user,
};

describe('guest ABI: the kernel constants agree with the machine and the loader', () => {
  it('every layout, port, vector, flag and page-table constant', () => {
    const s = symbols();
    const mismatches = Object.entries(PAIRS).filter(([name, v]) => s[name] === undefined || s[name] >>> 0 !== v >>> 0).map(([name, v]) => `${name}: kernel ${s[name]}, TypeScript ${v}`);
    expect(mismatches).to.deep.equal([]);
    expect(BootFlags.paravirt).to.equal(1);
  });
});
