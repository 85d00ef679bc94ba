/**
 * `native`: bare metal, the baseline every ratio is against. The unmodified kernel runs in
 * ring 0 on the machine itself; there is no VMM and so no VMM events.
 * @category Strategies
 */
import { defineStrategy } from '../strategy';

/** The native strategy. */
export const native = defineStrategy({
  name: 'native',
  description: 'bare metal: the unmodified kernel in ring 0, no VMM (the baseline)',
  kernelBuild: 'native',
  options: {},
  counters: [],
  reservedBytes: 0,
  check: () => null,
  maxVcpus: () => 8,
  start: (ctx) => {
    for (const cpu of ctx.cpus) {
      cpu.pc = ctx.entry;
      cpu.cpl = 0;
    }
    return { vcpus: ctx.cpus.map(() => ({})) };
  },
});
