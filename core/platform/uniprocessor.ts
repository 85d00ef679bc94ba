/**
 * A uniprocessor machine: a platform with one CPU, for bare-metal programs (`ringlab exec`)
 * and tests. The CPU is returned; its platform is `cpu.platform`.
 * @category Platform
 */
import { Cpu, type CpuConfig } from '../cpu/cpu';
import { Platform, type PlatformConfig } from './platform';

/** Configuration of a uniprocessor machine: its platform's and its CPU's. */
export type MachineConfig = PlatformConfig & CpuConfig;

/** A fresh platform with one CPU; returns the CPU. */
export const uniprocessor = (config: MachineConfig = {}): Cpu => new Cpu(new Platform(config), config);
