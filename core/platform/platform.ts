/**
 * The platform of one machine: guest-physical memory and the devices every CPU shares (the
 * console, the block device, the power and measurement ports), and the CPUs attached to it.
 * Each CPU has its own registers, TLB, local interrupt controller and timer
 * (core/cpu/cpu.ts); device interrupts are routed to one CPU.
 * @category Platform
 */
import { BlockDevice, DISK_LATENCY_US } from '../devices/block';
import { Console } from '../devices/console';
import { IcrMode, IcrShorthand, Irq, Port } from '../devices/ports';
import { PhysicalMemory } from '../mmu/memory';
import type { Cpu } from '../cpu/cpu';

/** Platform configuration. */
export interface PlatformConfig {
  /** physical memory in bytes (multiple of 4096); default 8 MiB */
  readonly memoryBytes?: number;
  /** block device size in sectors; default 256 */
  readonly diskSectors?: number;
  /** block request latency in microseconds; default DISK_LATENCY_US (a late-2000s SSD) */
  readonly diskLatencyUs?: number;
}

/**
 * What a block request passes through after the device finished and before its DMA and
 * interrupt reach the guest: a VMM's user-level device model (device-model=user), whose
 * completion work (the host wakes it, it finishes the request, it injects the interrupt)
 * takes time. Without one, the request completes at the device's deadline.
 */
export interface CompletionPath {
  /**
   * The device finished at guest time `now`: the cycles until the request completes toward
   * the guest, or Infinity when the path calls Platform.finishDisk itself.
   */
  reached(now: number): number;
}

/** Memory, shared devices and CPUs. */
export class Platform {
  readonly memory: PhysicalMemory;
  readonly console = new Console();
  readonly disk: BlockDevice;
  /** the CPUs, by index */
  readonly cpus: Cpu[] = [];
  /** the CPU that receives device interrupts */
  irqTarget = 0;
  /** bytes of memory, from 0, that device DMA reaches (the guest's RAM: memory beyond it is a VMM's, and a transfer past it fails as on bare metal) */
  dmaBytes: number;
  /** what a finished block request passes through before it completes (null: nothing) */
  completionPath: CompletionPath | null = null;
  /** the finished request is in the completion path */
  private diskInPath = false;

  constructor(config: PlatformConfig = {}) {
    this.memory = new PhysicalMemory(config.memoryBytes ?? 8 * 1024 * 1024);
    this.disk = new BlockDevice(config.diskSectors ?? 256, config.diskLatencyUs ?? DISK_LATENCY_US);
    this.dmaBytes = this.memory.size;
  }

  /** Attach a CPU (its index is its position). */
  attach(cpu: Cpu): number {
    this.cpus.push(cpu);
    return this.cpus.length - 1;
  }

  /** Whether a port belongs to a shared device. */
  handles(port: number): boolean {
    return SHARED_PORTS.has(port);
  }

  /** Read a shared device's port. Unknown ports read all ones. */
  portRead(port: number): number {
    switch (port) {
      case Port.blockSector:
        return this.disk.sector;
      case Port.blockAddress:
        return this.disk.address;
      case Port.blockCommand:
        return this.disk.status;
      case Port.consoleStatus:
        return 1;
      default:
        return -1;
    }
  }

  /** Write a shared device's port on behalf of `cpu` (at its time). */
  portWrite(port: number, v: number, cpu: Cpu): void {
    switch (port) {
      case Port.blockSector:
        this.disk.sector = v;
        break;
      case Port.blockAddress:
        this.disk.address = v;
        break;
      case Port.blockCommand:
        this.disk.start(v, cpu.now(), cpu.cyclesPerMicrosecond);
        for (const c of this.cpus) c.reschedule();
        break;
      case Port.consoleData:
        this.console.put(v);
        break;
      case Port.regionMarker:
        if (v === 1) cpu.events.emit({ kind: 'region', t: cpu.time, mark: 'start' });
        break;
      case Port.power:
        for (const c of this.cpus) c.stop({ kind: 'shutdown', exitCode: v });
        break;
    }
  }

  /**
   * An inter-processor interrupt from `from`'s interrupt command register (Port.icr): a
   * fixed IRQ line raised at each destination, INIT, or a start-up with its start page. The
   * sender counts one `ipis.sent` per destination (the hardware's delivery: the same under
   * every strategy), each destination one `ipis.received`; the interrupt itself is priced
   * when it is delivered.
   */
  sendIpi(from: Cpu, icr: number): void {
    const low = icr & 0xff;
    const mode = (icr >>> 8) & 7;
    const shorthand = (icr >>> 12) & 3;
    const destination = (icr >>> 16) & 0xff;
    const targets =
      shorthand === IcrShorthand.self
        ? [from]
        : shorthand === IcrShorthand.all
          ? this.cpus
          : shorthand === IcrShorthand.allButSelf
            ? this.cpus.filter((c) => c !== from)
            : this.cpus.filter((c) => c.cpuId === destination);
    for (const t of targets) {
      if (mode === IcrMode.fixed) {
        const line = low & 7;
        from.events.emit({ kind: 'ipi', t: from.time, line, target: t.index });
        t.ledger.tally('ipis.received', line);
        t.raiseIrq(line);
      } else if (mode === IcrMode.init) t.init();
      else if (mode === IcrMode.startup) t.startup(low << 12);
    }
  }

  /** Complete device work due by `now` (the guest-visible time of the CPU that looks), raising interrupts. */
  serviceDevices(now: number): void {
    if (now < this.disk.deadline) return;
    if (this.completionPath !== null && !this.diskInPath) {
      this.diskInPath = true;
      const more = this.completionPath.reached(now);
      if (more > 0) {
        this.disk.deadline = now + more;
        for (const c of this.cpus) c.reschedule();
        return;
      }
    }
    this.finishDisk();
  }

  /** The outstanding block request completes now: its DMA, then its interrupt. */
  finishDisk(): void {
    this.diskInPath = false;
    this.disk.complete(this.memory.u8.subarray(0, this.dmaBytes));
    this.cpus[this.irqTarget]?.raiseIrq(Irq.block);
  }
}

/** Ports of the shared devices. */
const SHARED_PORTS: ReadonlySet<number> = new Set([
  Port.blockSector,
  Port.blockAddress,
  Port.blockCommand,
  Port.consoleData,
  Port.consoleStatus,
  Port.regionMarker,
  Port.power,
]);
