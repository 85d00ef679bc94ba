/**
 * Where a VMM's device models run: inside the VMM (ESX, KVM's in-kernel devices), or in a
 * user-level process of the host (a hosted VMM, QEMU). The second costs a host context
 * switch pair per emulated access, counted here; the device work itself (front end and
 * back end) is the same either way. On a modelled host the round trip runs on the VM's
 * device-model helper world instead (counted apart, free here: priced as that world's time).
 * @category VMM
 */
import { Port } from '../../core/devices/ports';
import type { Cpu } from '../../core/cpu/cpu';
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
} as const satisfies CounterTable;

/** The VMM's device models: every emulated port access goes through here. */
export class DeviceModel {
  constructor(readonly place: DeviceModelPlace) {}

  /** The guest reads `port`; served by the device model. */
  read(cpu: Cpu, port: number): number {
    this.crossing(cpu);
    return cpu.portRead(port, true);
  }

  /** The guest writes `value` to `port`; served by the device model. */
  write(cpu: Cpu, port: number, value: number): void {
    // the local interrupt controller is the VMM's own even when devices run in a user process (KVM's in-kernel LAPIC)
    if (port !== Port.icr) this.crossing(cpu);
    cpu.portWrite(port, value, true);
  }

  private crossing(cpu: Cpu): void {
    if (this.place !== 'user') return;
    if (cpu.host?.userDeviceModelRoundTrip()) {
      // on a host the round trip is the helper world's run time, and the vCPU waits for it
      cpu.ledger.count('deviceModel.helperRoundTrips');
      cpu.yieldToHost('helper');
    } else cpu.ledger.count('deviceModel.userRoundTrips');
  }
}
