/**
 * `trap-and-emulate`: classic deprivileging (Popek & Goldberg's VMM). The unmodified guest
 * kernel runs in ring 1 and its user code in ring 3; the monitor owns ring 0. Every
 * privileged instruction traps and is emulated on the virtual CPU; page tables are shadowed.
 *
 * Ring 1 rather than ring 3: the guest kernel's pages stay supervisor-only, so one shadow
 * table serves both guest modes and user code cannot touch kernel memory (the choice of
 * VMware's and Xen's 32-bit monitors).
 *
 * On the default ISA this is not equivalent: the sensitive-but-unprivileged instructions
 * (PUSHF/POPF/IRET's IF handling, SIDT, SMSW, reading the CPL) do not trap, and the monitor
 * reports the first one that showed the guest something native hardware would not have.
 * On the `virtualizable` variant they trap like any privileged instruction, and the run is
 * equivalent: Theorem 1 seen from both sides.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';
import { Flag } from '../../core/isa/table';
import { MONITOR_COUNTERS, SHADOW_PAGING_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { DEVICE_MODEL_COUNTERS, DEVICE_MODEL_OPTION, DeviceModel } from '../shared/device-model';
import { EVERY_TRAP, SoftwareMonitor } from '../shared/monitor';
import { SHADOW_CACHE_OPTION, ShadowPager } from '../shared/shadow-paging';
import { resetVirtualCpu } from '../shared/virtual-cpu';
import { choice } from '../options';
import { defineStrategy } from '../strategy';

/** Machine memory reserved for the monitor (shadow page tables). */
const RESERVED = 4 * 1024 * 1024;

/** The trap-and-emulate strategy. */
export const trapAndEmulate = defineStrategy({
  name: 'trap-and-emulate',
  description: 'deprivileged guest kernel (ring 1), every privileged instruction trapped and emulated, shadow page tables',
  kernelBuild: 'native',
  options: {
    'shadow-cache': SHADOW_CACHE_OPTION,
    'device-model': DEVICE_MODEL_OPTION,
    'on-divergence': choice(['stop', 'continue'], 'stop', 'stop at the first non-equivalent behaviour, or continue to see its consequences'),
  },
  counters: [VMM_COUNTERS, MONITOR_COUNTERS, SHADOW_PAGING_COUNTERS, DEVICE_MODEL_COUNTERS],
  reservedBytes: RESERVED,
  requiresVirtualizableIsa: true,
  check: () => null,
  maxVcpus: () => 8,
  start: (ctx) => {
    // one set of shadow page tables for the guest, shared by its vCPUs (kept coherent by the pager)
    const pager = new ShadowPager(ctx.cpus[0], ctx.guestMemoryBytes, { cacheRoots: ctx.options['shadow-cache'] });
    /** One vCPU: its virtual CPU and its monitor; it starts at `pc` in virtual ring 0, paging off. */
    const vcpu = (m: Cpu): SoftwareMonitor => {
      const monitor = new SoftwareMonitor(m, resetVirtualCpu(), pager, {
        stopOnDivergence: ctx.options['on-divergence'] !== 'continue',
        devices: new DeviceModel(ctx.options['device-model'], m),
      });
      const enter = (pc: number): void => {
        pager.use(m);
        pager.setGuestPaging(false, 0);
        m.monitor = EVERY_TRAP;
        // the monitor's own table: where SIDT points while the guest runs
        m.idtBase = ctx.guestMemoryBytes;
        m.flags = Flag.IF;
        m.cpl = 1;
        m.pc = pc;
      };
      // a start-up IPI the guest sent (its ICR write trapped and was emulated): the vCPU starts at its address
      monitor.onStartup = (pc: number): void => {
        Object.assign(monitor.v, resetVirtualCpu());
        enter(pc);
      };
      if (m.index === 0) enter(ctx.entry);
      return monitor;
    };
    const monitors = ctx.cpus.map(vcpu);
    return { vcpus: monitors, divergence: () => monitors.find((x) => x.divergence !== null)?.divergence ?? null, reservedMemory: () => [pager.poolRange] };
  },
});
