'use strict';
/**
 * V8's tiering, tuned for the simulator: set once per process by tools/launch.js before any of
 * the command's code runs (V8 flags are process-wide: worker threads share them). Nothing
 * modelled depends on them; they change only how soon V8 optimizes the host code.
 *
 * - `--bytecode-size-allowance-per-tick=10000`: V8 waits 3 + bytecode length / allowance
 *   profiler ticks (150 by default) before optimizing a function. The interpreter's burst is
 *   one generated function of about 12 KB of bytecode: each time a new guest instruction or
 *   slow path deoptimizes it during warm-up, it ran unoptimized for 80 ticks before V8 even
 *   started to re-optimize it; now for 4.
 * - `--no-use-osr`: the burst and the JIT's regions return every 2^16-2^20 instructions, so
 *   they are optimized on their next call; compiling them again for on-stack entry doubled
 *   V8's compile work on the second core.
 *
 * Measured on this project's machine kind with `compare` (6 alternating pairs): 6-16% less wall
 * time, 15-20% less process CPU. Applied on the V8 it was measured on (Node 20's 11.3) only: an
 * unknown flag makes V8 print an error, and other versions tier differently.
 */
const v8 = require('v8');

/** The flags, and the V8 version (major.minor) they were measured on. */
const V8_TUNING = { v8: '11.3', flags: ['--bytecode-size-allowance-per-tick=10000', '--no-use-osr'] };

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
