/**
 * The yardstick for the interpreter benchmark: a bare switch interpreter over the same
 * instruction encoding with no paging, no privilege checks, no flags beyond ZF and no
 * counters. It shows what this machine's JavaScript engine does at best, so the guest MIPS
 * of the real interpreter can be read as a ratio measured in the same run.
 * Both measure with the bench's clock (CPU time, experiments/bench/clock.ts).
 * @category Bench
 */
import { cpuMs } from './clock';

/** Run the loop `li r1, 0; li r2, n; loop: addi r1, r1, 3; subi r2, r2, 1; jnz loop; hlt`; returns the instructions run. */
const bareSwitch = (n: number): number => {
  const prog = new Int32Array([0x03100000, 0, 0x03200000, n, 0x10110000, 3, 0x11220000, 1, 0x2a000000, -24, 0x52000000]);
  const regs = new Int32Array(16);
  let pc = 0;
  let zf = 0;
  let count = 0;
  for (;;) {
    const w = prog[pc >> 2];
    const op = w >>> 24;
    let imm = 0;
    let next = pc + 4;
    if (op === 0x03 || op === 0x10 || op === 0x11 || op === 0x2a) {
      imm = prog[(pc + 4) >> 2];
      next = pc + 8;
    }
    const a = (w >>> 20) & 15;
    count++;
    switch (op) {
      case 0x03:
        regs[a] = imm;
        break;
      case 0x10: {
        const r = (regs[(w >>> 16) & 15] + imm) | 0;
        zf = r === 0 ? 1 : 0;
        regs[a] = r;
        break;
      }
      case 0x11: {
        const r = (regs[(w >>> 16) & 15] - imm) | 0;
        zf = r === 0 ? 1 : 0;
        regs[a] = r;
        break;
      }
      case 0x2a:
        if (zf === 0) next = (next + imm) | 0;
        break;
    }
    if (op === 0x52) break;
    pc = next;
  }
  return count;
};

/** Calls of a yardstick's loop with a short count before it is first timed. */
const WARM_CALLS = 40;

/**
 * A yardstick's guest MIPS over `n` iterations of its `loop` (which returns the instructions
 * it ran). The loop is called with short counts first, once per process, so the timed call
 * runs V8's optimized code for the whole function: code compiled on the stack mid-loop ran
 * the hand-written loop 4x slower and made it swing between the two, and without such
 * compilation (tools/v8-tuning.js) the first timed calls ran unoptimized.
 */
const yardstick = (loop: (n: number) => number): ((n: number) => number) => {
  let warmed = false;
  return (n) => {
    if (!warmed) {
      for (let k = 0; k < WARM_CALLS; k++) loop(20_000);
      warmed = true;
    }
    const t0 = cpuMs();
    const count = loop(n);
    return count / (cpuMs() - t0) / 1000;
  };
};

/** The bare switch's guest MIPS over `n` iterations (see {@link yardstick}). */
export const bareSwitchMips = yardstick(bareSwitch);

/** The compute loop by hand: `n` iterations of 7 guest instructions; returns the instructions (the loop's result kept alive in them). */
const handWrittenCompute = (n: number): number => {
  let r1 = n;
  let r2 = 1;
  let r3 = 0;
  let r4 = 0;
  let r5 = 0;
  let count = 0;
  for (;;) {
    r3 = (r3 + r2) | 0;
    r2 ^= r3;
    r4 = r3 << 3;
    r5 = (r2 >>> 2) | 0;
    r2 = (r4 + r5) | 0;
    r1 = (r1 - 1) | 0;
    count += 7;
    if (r1 === 0) break;
  }
  // keep the result alive so the loop is not removed
  if ((r2 ^ r3 ^ r4 ^ r5) === 0x7fffffff) count++;
  return count;
};

/**
 * The second yardstick: the bench's compute loop (experiments/bench/programs.ts) written by
 * hand in JavaScript, registers in locals, with the flag its branch reads; what a perfect
 * translation of the guest loop would run at, in guest MIPS (7 instructions per iteration;
 * see {@link yardstick}).
 */
export const handWrittenComputeMips = yardstick(handWrittenCompute);
