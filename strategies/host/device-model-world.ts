/**
 * A VM's device-model world on the host (device-model=user): the user-level process that
 * serves each emulated access while the vCPU that made it waits, and finishes each block
 * request the device completed before its interrupt reaches the guest. Both are a round
 * trip's work (userDeviceModelRoundTrip cycles) queued on this world, which the scheduler
 * runs like any other; the access's device action and the request's DMA and interrupt happen
 * when that work is done, as they do, one round trip later, when the VM runs alone.
 * @category Host
 */
import type { CompletionPath, Platform } from '../../core/platform/platform';
import type { HelperWork } from './helper-work';
import type { World } from './world';

/** What the co-simulation gives a device-model world to act on its VM. */
export interface DeviceModelHost {
  /** host time of what happens now (ps) */
  nowPs(): number;
  /** vCPU world `w`, waiting for a round trip, may run again from host time `endPs` */
  release(w: World, endPs: number): void;
}

/** The device-model world of one VM and its queue of work. */
export class DeviceModelWorld {
  /** each waiting vCPU world's device action, performed when it runs again */
  private readonly pending = new Map<World, () => void>();

  /** The device models of the VM on `platform`, run as helper world `world` with the queue `work`. */
  constructor(
    readonly world: World,
    readonly work: HelperWork,
    private readonly platform: Platform,
    private readonly roundTripCycles: number,
    private readonly host: DeviceModelHost,
  ) {
    platform.completionPath = this.completionPath();
  }

  /** vCPU world `w` asks for an access (`access`: its device action): queued; the vCPU waits for it, and this world wakes when the vCPU has left its CPU (`wake`). */
  roundTrip(w: World, access?: () => void): void {
    if (access) this.pending.set(w, access);
    this.work.add(this.roundTripCycles, (end) => this.host.release(w, end));
  }

  /** This world has work from host time `atPs` (if it waits). */
  wake(atPs: number): void {
    const w = this.world;
    if (w.state === 'wait') w.wakeAt = Math.min(w.wakeAt, Math.max(atPs, w.since));
  }

  /** vCPU world `w` runs again: its device action, if one waits, happens now. */
  resume(w: World): void {
    const access = this.pending.get(w);
    if (access === undefined) return;
    this.pending.delete(w);
    access();
  }

  /** Finished block requests are counted on the CPU taking the interrupt and completed by this world's work. */
  private completionPath(): CompletionPath {
    const p = this.platform;
    return {
      reached: () => {
        p.cpus[p.irqTarget]?.ledger.count('deviceModel.userCompletions');
        this.work.add(this.roundTripCycles, () => p.finishDisk());
        this.wake(this.host.nowPs());
        return Infinity;
      },
    };
  }
}
