/**
 * Where a VMM's device models run: inside the VMM (ESX, KVM's in-kernel devices), or in a
 * user-level process of the host (a hosted VMM, QEMU). The second costs a host context
 * switch pair per emulated access, counted here; the device work itself (front end and
 * back end) is the same either way.
 * @category VMM
 */
import { Port } from '../../core/devices/ports';
import type { Cpu } from '../../core/cpu/cpu';
import { count, priced, type CounterTable } from '../../core/cost/counters';
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
    if (this.place === 'user') cpu.ledger.count('deviceModel.userRoundTrips');
  }
}
