/**
 * `paravirt`: Xen-style paravirtualization (Barham et al., SOSP 2003). The paravirtual build
 * of the guest kernel runs in ring 1 and asks a hypervisor, which owns ring 0, for what it
 * may not do itself, through a table of hypercalls (hypercall-table.ts). Its page tables
 * are the real ones, validated on every update and kept read-only to it (direct-paging.ts);
 * its interrupt flag is a word of a shared page and interrupts reach it as event upcalls
 * (events.ts); its system calls can be delivered by the hardware without entering the
 * hypervisor (hypervisor.ts).
 *
 * Options:
 * - `batching=on|off`: the kernel build's PV_BATCHING (page-table updates queued into one
 *   `mmu_update` of up to 32 entries, the context switch as one multicall) or one hypercall
 *   per update. It selects the kernel image, see {@link paravirt}'s `kernelOptions`.
 * - `fastsyscall=on|off`: the system-call gate in the real IDT (direct delivery to ring 1)
 *   or every `int 0x80` bounced through the hypervisor.
 *
 * Not priced (there is no cost key for it yet): the one-time validation of a whole page
 * table or directory when it first becomes one (`DirectPager.validatedEntries` counts it).
 * @category Strategies
 */
import { BOOT_MAGIC, BootFlags, BootInfo, GuestLayout, type HasMemory } from '../../core/guest/layout';
import { buildKernel, type KernelOptions } from '../../core/guest/kernel-image';

import { choice } from '../options';
import { defineStrategy } from '../strategy';
import { MONITOR_COUNTERS, VMM_COUNTERS } from '../shared/counters';
import { PARAVIRT_COUNTERS } from './counters';
import { DirectPager } from './direct-paging';
import { VirtualInterrupts } from './events';
import { enterGuestKernel, Hypervisor, type Domain } from './hypervisor';
import { hypercallPageImage } from './hypercall-page';
import { HYPERVISOR_RESERVED_BYTES, hypervisorMemory, hypervisorReservedRanges, MAX_GUEST_MEMORY } from './hypervisor-memory';

/** The kernel build options the strategy's options select. */
export const paravirtKernelOptions = (options: { readonly batching: string }): KernelOptions => ({ batching: options.batching !== 'off' });

/**
 * Why the machine does not hold a paravirtual guest built for these options, or null:
 * the boot info must say paravirtual (a native kernel would execute privileged instructions
 * in ring 1), and the loaded kernel must be the build the options name.
 */
export const checkBootImage = (m: HasMemory, options: { readonly batching: string }): string | null => {
  const info = GuestLayout.bootInfo;
  if (m.memory.read32(info + BootInfo.magic) !== BOOT_MAGIC) return 'paravirt: no boot info in guest memory (nothing was loaded)';
  if ((m.memory.read32(info + BootInfo.flags) & BootFlags.paravirt) === 0)
    return "paravirt: refused: the loaded kernel is not the paravirtual build (boot info flags lack the paravirtual bit); paravirt runs only buildKernel('paravirt', ...)";
  // a user's kernel (run --kernel) cannot be checked against the shipped build: the hypervisor validates what it does
  if ((m.memory.read32(info + BootInfo.flags) & BootFlags.userKernel) !== 0) return null;
  const wanted = paravirtKernelOptions(options);
  const image = buildKernel('paravirt', wanted);
  if (image._tag === 'Left') return 'paravirt: internal error: the paravirtual kernel does not assemble';
  const bytes = image.right.bytes;
  const loaded = m.memory.u8.subarray(GuestLayout.kernel, GuestLayout.kernel + bytes.length);
  if (!loaded.every((b, i) => b === bytes[i]))
    return (
      `paravirt: refused: the loaded kernel is not the paravirtual build with PV_BATCHING=${wanted.batching ? 1 : 0} that batching=${options.batching} needs; ` +
      'the runner must build the kernel with the strategy\'s kernelOptions(options) (bootImage({ ..., kernel: strategy.kernelOptions?.(options) }))'
    );
  return null;
};

/** The paravirtualization strategy. */
export const paravirt = defineStrategy({
  name: 'paravirt',
  description: 'Xen-style paravirtualization: the paravirtual kernel build in ring 1, a hypercall table, validated direct paging, event upcalls',
  kernelBuild: 'paravirt',
  options: {
    batching: choice(['on', 'off'], 'on', "queue page-table updates into batched mmu_update hypercalls and multicalls (the kernel build's PV_BATCHING)"),
    fastsyscall: choice(['on', 'off'], 'on', 'install the system-call gate in the real IDT (delivered to ring 1 without the hypervisor), or bounce every int 0x80'),
  },
  kernelOptions: paravirtKernelOptions,
  counters: [VMM_COUNTERS, MONITOR_COUNTERS, PARAVIRT_COUNTERS],
  reservedBytes: HYPERVISOR_RESERVED_BYTES,
  check: () => null,
  maxVcpus: () => 8,
  checkGuest: (platform, options, guestMemoryBytes) => {
    if (guestMemoryBytes > MAX_GUEST_MEMORY || guestMemoryBytes % 4096 !== 0)
      return `paravirt: guest memory must be whole pages and at most ${MAX_GUEST_MEMORY} bytes, got ${guestMemoryBytes}`;
    if (platform.memory.size < guestMemoryBytes + HYPERVISOR_RESERVED_BYTES)
      return `paravirt: the machine needs ${HYPERVISOR_RESERVED_BYTES} bytes beyond guest RAM for the hypervisor`;
    return checkBootImage(platform, options);
  },
  start: (ctx) => {
    const [boot] = ctx.cpus;
    const memory = hypervisorMemory(ctx.guestMemoryBytes);
    const pager = new DirectPager(boot, ctx.guestMemoryBytes, memory, ctx.cpus);
    pager.installBootView();
    boot.memory.load(memory.hypercallPage, hypercallPageImage());
    // one hypervisor context per vCPU (its traps, trap table, kernel stack, events); the pager is the guest's
    const domain: Domain = { vcpus: ctx.cpus, hypervisors: [] };
    for (const m of ctx.cpus)
      domain.hypervisors.push(new Hypervisor(m, domain, ctx.guestMemoryBytes, pager, new VirtualInterrupts(m), memory, { fastSyscall: ctx.options.fastsyscall !== 'off' }));
    // the boot vCPU starts at the entry in the boot view; the others wait for vcpu_up
    enterGuestKernel(domain.hypervisors[0], ctx.entry, memory.bootDirectory);
    return { vcpus: domain.hypervisors, isolationViolations: () => pager.isolationViolations(), reservedMemory: () => hypervisorReservedRanges(memory, ctx.guestMemoryBytes) };
  },
});
