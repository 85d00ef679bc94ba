/** Test helper: a VM of a shipped workload under a strategy, ready to go on a host. */
import { isLeft } from 'fp-ts/Either';
import type { Engine } from '../../../core/cpu/engine';
import { loadProfile, type CostProfile } from '../../../core/cost/profile';
import { bootImage } from '../../../core/guest/boot-image';
import { DEFAULT_BOOT_PARAMS } from '../../../core/guest/boot-params';
import { GUEST_MEMORY_BYTES } from '../../../core/guest/layout';
import { hostHardware, type HostHardware } from '../../../core/host/host-model';
import type { Numbering } from '../../../core/host/topology';
import type { HostedVm } from '../../../strategies/host/cosim';
import type { WorldSettings } from '../../../strategies/host/world';
import { resolveOptions } from '../../../strategies/options';
import { STRATEGIES } from '../../../strategies/registry';
import { startVirtualMachine } from '../../../strategies/virtual-machine';

export const profile = (name = 'modern'): CostProfile => {
  const p = loadProfile(name);
  if (isLeft(p)) throw new Error(p.left);
  return p.right;
};

export const hardware = (cores: number, threads: number, numbering: Numbering = 'esxi', fraction = 0.6): HostHardware => {
  const h = hostHardware({ sockets: 1, cores, threads, numbering, profile: profile(), hyperthreading: { fraction, charge: 0.5 } });
  if (!h.ok) throw new Error(h.problems.join('; '));
  return h.host;
};

export const settings = (s: Partial<WorldSettings> = {}): WorldSettings => ({ shares: 1000, reservation: 0, limit: Infinity, affinity: null, ...s });

/** What else a test VM may have: vCPUs (and threads), strategy options. */
export interface VmExtras {
  readonly vcpus?: number;
  readonly threads?: number;
  readonly options?: Readonly<Record<string, string | number>>;
  /** the simulator's engine (no modelled number depends on it) */
  readonly engine?: Engine;
}

/** A hardware-assisted (nested paging) VM running `workload` with n. */
export const hostedVm = (name: string, workload: string, n: number, s: Partial<WorldSettings> = {}, x: VmExtras = {}): HostedVm => {
  const strategy = STRATEGIES['hardware-assisted'];
  const options = resolveOptions(strategy, { paging: 'nested', ...x.options });
  if (isLeft(options)) throw new Error(options.left.join('; '));
  const vcpus = x.vcpus ?? 1;
  const image = bootImage({ workload, n, threads: x.threads, build: strategy.kernelBuild, boot: { ...DEFAULT_BOOT_PARAMS, cpus: vcpus } });
  if (isLeft(image)) throw new Error(image.left);
  const vm = startVirtualMachine({ strategy, options: options.right, profile: profile(), guestMemoryBytes: GUEST_MEMORY_BYTES, vcpus, engine: x.engine, load: (p) => image.right.loadInto(p) });
  if (isLeft(vm)) throw new Error(vm.left);
  return { name, vm: vm.right, settings: settings(s) };
};
