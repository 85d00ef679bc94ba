/**
 * Boot parameters of the guest kernel (a kernel command line): written into the boot info
 * by the loader, set with `run --boot k=v` and `boot: {...}` in experiment specs.
 * @category Guest
 */
import { left, right, type Either } from 'fp-ts/Either';

/** A declared boot parameter: an integer in a range. */
export interface BootParamSpec {
  readonly description: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** The boot parameters. */
export const BOOT_PARAMS = {
  hz: {
    description: 'timer interrupts per second of modelled time (a Linux build\'s CONFIG_HZ: 100, 250 or 1000)',
    default: 250,
    min: 10,
    max: 10_000,
  },
  cpus: {
    description: 'CPUs the kernel starts (at most 8); a run with --vcpus N sets it to N',
    default: 1,
    min: 1,
    max: 8,
  },
} as const satisfies Record<string, BootParamSpec>;

/** Name of a boot parameter. */
export type BootParamName = keyof typeof BOOT_PARAMS;

/** Resolved boot parameters (every one present). */
export type BootParams = Readonly<Record<BootParamName, number>>;

/** The defaults. */
export const DEFAULT_BOOT_PARAMS: BootParams = Object.fromEntries(Object.entries(BOOT_PARAMS).map(([k, p]) => [k, p.default])) as BootParams;

/** Resolve given boot parameters (defaults filled); unknown names and out-of-range values are refused, all at once. */
export const resolveBootParams = (given: Readonly<Record<string, number | string>>): Either<string[], BootParams> => {
  const errors: string[] = [];
  const out: Record<string, number> = { ...DEFAULT_BOOT_PARAMS };
  for (const [k, raw] of Object.entries(given)) {
    if (!Object.hasOwn(BOOT_PARAMS, k)) {
      errors.push(`unknown boot parameter '${k}'; boot parameters: ${Object.keys(BOOT_PARAMS).join(', ')}`);
      continue;
    }
    const p = BOOT_PARAMS[k as BootParamName];
    const v = typeof raw === 'number' ? raw : Number(String(raw).replace(/_/g, ''));
    if (!Number.isInteger(v) || v < p.min || v > p.max) errors.push(`boot parameter ${k}=${raw} is out of range: expected an integer from ${p.min} to ${p.max}`);
    else out[k] = v;
  }
  return errors.length > 0 ? left(errors) : right(out as BootParams);
};
