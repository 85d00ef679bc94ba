import { expect } from 'chai';
import { bootImage } from '../../../core/guest/boot-image';
import { BootInfo, GuestLayout } from '../../../core/guest/layout';
import { count, right, runImage, runProgram } from './helpers';

/** A test program: `body` is main's code (r1 = n on entry, exit code in r1 at `ret`). */
const program = (body: string, data = ''): string => `
.include "../lib/user.s"
main:
${body}
        ret
        .align 4
${data}
`;

describe('guest kernel: faults, limits and stop reasons', () => {
  it('a bad boot info makes the kernel panic: one line and exit code 255', () => {
    const image = right(bootImage({ workload: 'syscall', n: 1, build: 'native' }));
    const r = runImage({
      ...image,
      loadInto: (m) => {
        image.loadInto(m);
        m.memory.write32(GuestLayout.bootInfo + BootInfo.magic, 0x12345678);
      },
    });
    expect(r.output).to.equal('panic: bad boot info\n');
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 255 });
  });

  it('a user program that loops forever ends with the budget stop reason (timer ticks keep coming)', () => {
    const r = runProgram(program('spin:   jmp spin'), 0, 200_000);
    expect(r.stop.kind).to.equal('budget');
    expect(count(r.counts.interrupts, 0x20)).to.be.at.least(8);
    expect(r.output).to.equal('');
  });

  it('a privileged instruction in user mode kills the process with 139', () => {
    const r = runProgram(program('        cli'));
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
    expect(r.result.exitCode).to.equal(139);
    expect(count(r.counts.exceptions, 13)).to.equal(1);
  });

  it('int on a kernel-only gate from user mode kills the process with 139', () => {
    expect(runProgram(program('        int 0x20')).stop).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
  });

  for (const [what, address] of [
    ['kernel memory', 0x00300000],
    ['the direct map', 0xc0000000],
    ['an unmapped address above the stack', 0x00900000],
    ['the heap beyond the break', 0x00500000],
  ] as const) {
    it(`a user access to ${what} kills the process with 139`, () => {
      const r = runProgram(program(`        ld r2, [0x${address.toString(16)}]`));
      expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
    });
  }

  it('the stack grows on demand up to 64 KiB; beyond it the process is killed', () => {
    const touch = (kib: number) =>
      runProgram(program(`        li r2, ${0x00800000 - kib * 1024}\n        st [r2], r1\n        li r1, 7`)).stop;
    expect(touch(64)).to.deep.equal({ kind: 'shutdown', exitCode: 7 });
    expect(touch(65)).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
  });

  it('system calls check their arguments: unknown number, bad buffers, bad marker', () => {
    const call = (setup: string) => runProgram(program(`${setup}\n        int 0x80\n        neg r1`)).stop;
    expect(call('        li r1, 99')).to.deep.equal({ kind: 'shutdown', exitCode: 38 });
    expect(call('        li r1, -1')).to.deep.equal({ kind: 'shutdown', exitCode: 38 });
    expect(call('        li r1, SYS_WRITE\n        li r2, 0x300000\n        li r3, 4')).to.deep.equal({ kind: 'shutdown', exitCode: 14 });
    expect(call('        li r1, SYS_WRITE\n        li r2, 0x7ffffffc\n        li r3, 16')).to.deep.equal({ kind: 'shutdown', exitCode: 14 });
    expect(call('        li r1, SYS_RESULT\n        li r2, 0x400000\n        li r3, 5000')).to.deep.equal({ kind: 'shutdown', exitCode: 22 });
    expect(call('        li r1, SYS_MARK\n        li r2, 3')).to.deep.equal({ kind: 'shutdown', exitCode: 22 });
    expect(call('        li r1, SYS_KBENCH\n        li r2, 9\n        li r3, 1')).to.deep.equal({ kind: 'shutdown', exitCode: 22 });
    expect(call('        li r1, SYS_DISK_READ\n        li r2, 1000\n        li r3, 0x400000')).to.deep.equal({ kind: 'shutdown', exitCode: 5 });
  });

  it('write copies the user buffer to the console, also from demand-zero stack pages', () => {
    const r = runProgram(
      program(`        li r2, hello\n        li r3, 6\n        SYSCALL SYS_WRITE\n        subi r2, sp, 8192\n        li r3, 'x'\n        stb [r2], r3\n        li r3, 1\n        SYSCALL SYS_WRITE\n        li r1, 0`, 'hello: .asciz "hello\\n"'),
    );
    expect(r.output).to.equal('hello\nx');
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
  });

  it('sbrk grows and shrinks the heap; freed pages are unmapped', () => {
    const r = runProgram(
      program(`        li r2, 2 * PAGE_SIZE
        SYSCALL SYS_SBRK
        mov r8, r1
        st [r8], r8
        st [r8+PAGE_SIZE], r8
        li r2, -2 * PAGE_SIZE
        SYSCALL SYS_SBRK
        li r2, 0
        SYSCALL SYS_SBRK
        cmp r1, r8
        jnz bad
        ld r2, [r8]           ; the page is gone: killed
        li r1, 1
        ret
bad:    li r1, 2`),
    );
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
    expect(r.counts.tlb.invlpg).to.equal(2);
  });

  it('fork copies the address space: the child writes its copy, the parent does not see it', () => {
    const r = runProgram(
      program(`        li r2, 5
        st [value], r2
        SYSCALL SYS_FORK
        cmpi r1, 0
        jnz parent
        li r2, 77
        st [value], r2
        li r2, PAGE_SIZE
        SYSCALL SYS_SBRK
        st [r1], r2
        ld r2, [value]
        SYSCALL SYS_EXIT
parent: SYSCALL SYS_WAIT
        ld r3, [value]
        muli r3, r3, 1000
        add r1, r2, r3        ; child's exit code + 1000 * the parent's value`, 'value: .word 0'),
    );
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 5077 });
    expect(r.result.processes).to.equal(2);
  });

  it('a killed child is reported to its parent with exit code 139', () => {
    const r = runProgram(
      program(`        SYSCALL SYS_FORK
        cmpi r1, 0
        jnz parent
        cli
parent: SYSCALL SYS_WAIT
        mov r1, r2`),
    );
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 139 });
  });

  it('the process table has 16 slots: the 16th fork fails with EAGAIN, wait reaps the 15 zombies', () => {
    const r = runProgram(
      program(`        li r8, 0                ; forks that worked
forks:  SYSCALL SYS_FORK
        cmpi r1, 0
        jz child
        jl reap
        addi r8, r8, 1
        jmp forks
child:  li r2, 3
        SYSCALL SYS_EXIT
reap:   cmpi r1, -11
        jnz bad
        li r9, 0
reap_loop:
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl done
        add r9, r9, r2
        jmp reap_loop
done:   muli r1, r8, 100
        add r1, r1, r9           ; 100 * forks + sum of exit codes
        ret
bad:    li r1, 1`),
    );
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 15 * 100 + 15 * 3 });
  });

  it('an orphan is adopted by process 1, which can wait for it', () => {
    const r = runProgram(
      program(`        SYSCALL SYS_FORK
        cmpi r1, 0
        jnz parent
        SYSCALL SYS_FORK        ; the child forks a grandchild and exits first
        cmpi r1, 0
        jz grandchild
        li r2, 1
        SYSCALL SYS_EXIT
grandchild:
        SYSCALL SYS_YIELD
        SYSCALL SYS_YIELD
        li r2, 2
        SYSCALL SYS_EXIT
parent: li r8, 0
wait_all:
        SYSCALL SYS_WAIT
        cmpi r1, 0
        jl done
        add r8, r8, r2
        jmp wait_all
done:   mov r1, r8`),
    );
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 3 });
    expect(r.result.processes).to.equal(3);
  });

  it('the machine idles (HLT) while the only process waits for the disk', () => {
    const r = runProgram(
      program(`        li r2, 0
        li r3, buffer
        SYSCALL SYS_DISK_READ`, 'buffer: .space 512'),
    );
    expect(r.stop).to.deep.equal({ kind: 'shutdown', exitCode: 0 });
    expect(r.counts.halts).to.be.at.least(1);
    expect(count(r.counts.interrupts, 0x22)).to.equal(1);
  });
});
