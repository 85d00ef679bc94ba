/**
 * Where a VMM's device models run: inside the VMM (ESX, KVM's in-kernel devices), or in a
 * user-level process of the host (a hosted VMM, QEMU). The second costs a host context
 * switch pair per emulated access, counted here; the device work itself (front end and
 * back end) is the same either way. On a modelled host the round trip runs on the VM's
 * device-model helper world instead (counted apart, free here: priced as that world's time).
 * A user-level device model also finishes each block request before its interrupt reaches
 * the guest (the host wakes it, it completes the request, it injects the interrupt): when
 * the VM runs alone that work runs on another host CPU and delays the interrupt by one
 * round trip's cycles; on a modelled host it is the helper world's work, scheduled like any
 * other, and the interrupt waits for it.
 * @category VMM
 */
import { Port } from '../../core/devices/ports';
import type { Cpu } from '../../core/cpu/cpu';
import type { CompletionPath } from '../../core/platform/platform';
import { count, free, priced, type CounterTable } from '../../core/cost/counters';
import { choice } from '../options';

/** The strategies' option for where the device models run. */
export const DEVICE_MODEL_OPTION = choice(
  ['vmm', 'user'],
  'vmm',
  'where emulated devices run: in the VMM (ESX, in-kernel KVM devices), or in a user-level process of the host (hosted VMMs, QEMU), adding a host context switch pair per emulated access',
);

/** Where the device models run. */
export type DeviceModelPlace = (typeof DEVICE_MODEL_OPTION)['default'];

/** Counters of the device models. */
export const DEVICE_MODEL_COUNTERS = {
  'deviceModel.userRoundTrips': count(
    'round trips between the VMM and a user-level device model of the host (one per emulated access with device-model=user)',
    priced('userDeviceModelRoundTrip', 'user-level device model'),
  ),
  'deviceModel.helperRoundTrips': count(
    'the same round trips when the VM runs on a modelled host (ringlab host): served by the VM\'s device-model helper world while the vCPU waits',
    free('the host runs each as userDeviceModelRoundTrip cycles of the helper world (strategies/host/cosim.ts), its time, not the vCPU\'s'),
  ),
  'deviceModel.userCompletions': count(
    'block requests finished by a user-level device model before their interrupt (device-model=user)',
    free('latency, not CPU time of any vCPU: the interrupt comes userDeviceModelRoundTrip cycles after the device finished (the device model runs on another host CPU); on a modelled host, that work is the device-model helper world\'s run time'),
  ),
} as const satisfies CounterTable;

/**
 * The completion path of a VM whose device models run in a user-level process, alone on its
 * host: each finished request is counted on the CPU that takes the interrupt and completes
 * one round trip's cycles later.
 */
export const userCompletionPath = (cpu: Cpu): CompletionPath => ({
  reached: () => {
    const target = cpu.platform.cpus[cpu.platform.irqTarget] ?? cpu;
    target.ledger.count('deviceModel.userCompletions');
    return target.ledger.priceOfCounter('deviceModel.userRoundTrips');
  },
});

/** The VMM's device models: every emulated port access goes through here. */
export class DeviceModel {
  /** Device models for `cpu`'s VM; in a user process, its platform's block requests complete through them. */
  constructor(
    readonly place: DeviceModelPlace,
    cpu?: Cpu,
  ) {
    if (place === 'user' && cpu !== undefined) cpu.platform.completionPath ??= userCompletionPath(cpu);
  }

  /** The guest reads `port`; served by the device model. */
  read(cpu: Cpu, port: number): number {
    this.crossing(cpu);
    return cpu.portRead(port, true);
  }

  /** The guest writes `value` to `port`; served by the device model. */
  write(cpu: Cpu, port: number, value: number): void {
    const access = () => cpu.portWrite(port, value, true);
    // the local interrupt controller is the VMM's own even when devices run in a user process (KVM's in-kernel LAPIC)
    if (port === Port.icr || !this.crossing(cpu, access)) access();
  }

  /** Cross to the user-level device model, if the devices are there; true if the host took `access` to perform after the round trip. */
  private crossing(cpu: Cpu, access?: () => void): boolean {
    if (this.place !== 'user') return false;
    if (cpu.host?.userDeviceModelRoundTrip(access)) {
      // on a host the round trip is the helper world's run time, and the vCPU waits for it
      cpu.ledger.count('deviceModel.helperRoundTrips');
      cpu.yieldToHost('helper');
      return access !== undefined;
    }
    cpu.ledger.count('deviceModel.userRoundTrips');
    return false;
  }
}
