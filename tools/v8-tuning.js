'use strict';
/**
 * V8's tiering, tuned for the simulator: set once per process by tools/launch.js before any of
 * the command's code runs (V8 flags are process-wide: worker threads share them). Nothing
 * modelled depends on them; they change only how soon V8 optimizes the host code.
 *
 * - `--no-use-osr`: the burst and the JIT's regions return every 2^16-2^20 instructions, so
 *   they are optimized on their next call; compiling them again for on-stack entry doubled
 *   V8's compile work on the second core.
 *
 * Measured on this project's machine kind with `compare` (6 alternating pairs, with a second
 * flag then): 6-16% less wall time, 15-20% less process CPU. Applied on the V8 it was measured
 * on (Node 20's 11.3) only: an unknown flag makes V8 print an error, and other versions tier
 * differently.
 *
 * `--bytecode-size-allowance-per-tick=10000` (V8 waits 3 + bytecode length / allowance
 * profiler ticks, the allowance 150 by default, before optimizing a function) was the second:
 * it had the interpreter's burst re-optimized within 4 ticks instead of about 80 after each
 * deoptimization of its warm-up. Since the warm-up program runs every path before V8 takes
 * the burst's feedback (core/platform/warm-up.ts), the burst is compiled once per thread and
 * the flag only hurried V8 into optimizing the JIT's large regions: without it, five
 * alternating rounds (2026-12-02) took `compare --engine jit` from 12.4-15.2 s to 12.2-13.5 s
 * and 3-4 s JIT runs 10-16 % lower, while `compare` (thirteen rounds), nanobench and short
 * runs stayed within noise.
 */
const v8 = require('v8');

/** The flags, and the V8 version (major.minor) they were measured on. */
const V8_TUNING = { v8: '11.3', flags: ['--no-use-osr'] };

/** The flags to set under V8 `version` (process.versions.v8): the tuning's on its version, else none. */
const tuningFor = (version) => (version.startsWith(`${V8_TUNING.v8}.`) ? V8_TUNING.flags : []);

let tuned = null;

/** Set the flags for this process's V8 once; returns those set. */
const tuneV8 = () => {
  if (tuned === null) {
    tuned = tuningFor(process.versions.v8);
    if (tuned.length > 0) v8.setFlagsFromString(tuned.join(' '));
  }
  return tuned;
};

/** The flags tuneV8 set in this process, or null before it ran. */
const appliedFlags = () => tuned;

module.exports = { V8_TUNING, tuningFor, tuneV8, appliedFlags };
