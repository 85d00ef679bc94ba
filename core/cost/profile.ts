/**
 * CPU cost profiles: data files (core/profiles/*.json), one per CPU generation, giving the
 * clock frequency and the cycles of each event kind, every number with its source.
 * Decoded with io-ts at load time.
 * @category Cost
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { formatValidationErrors } from '../codec/format-errors';
import type { PriceOf } from './ledger';

const Cost = t.type({ cycles: t.number, source: t.string });

/** The CPU vendor, whose flavour of hardware virtualization the part has (VT-x or AMD-V). */
export const VendorCodec = t.keyof({ intel: null, amd: null });

/** A CPU vendor. */
export type Vendor = t.TypeOf<typeof VendorCodec>;

/** io-ts codec of a profile file. */
export const CostProfileCodec = t.intersection([
  t.type({
    name: t.string,
    description: t.string,
    frequencyHz: t.number,
    /** `vtx`: a hardware virtualization extension (VT-x, or AMD-V on an AMD part) */
    features: t.intersection([t.type({ vtx: t.boolean, nestedPaging: t.boolean }), t.partial({ pauseLoopExiting: t.boolean })]),
    /** cycles of each cost key the counters of core and of the strategies name, with sources */
    costs: t.record(t.string, Cost),
  }),
  /** the vendor (absent: intel, as every profile before AMD parts were added) */
  t.partial({ vendor: VendorCodec }),
]);

/** A decoded cost profile. */
export type CostProfile = t.TypeOf<typeof CostProfileCodec>;

/** The profile's price of each cost key (undefined for a key it lacks). */
export const pricesOf = (p: CostProfile): PriceOf => (key) => (Object.hasOwn(p.costs, key) ? p.costs[key].cycles : undefined);

/** Folder of the shipped profiles. */
export const PROFILE_DIR = path.join(__dirname, '..', 'profiles');

/** Names of the shipped profiles, in chronological order. */
export const PROFILE_NAMES = ['netburst-2006', 'k8-2006', 'core2-2008', 'barcelona-2008', 'nehalem-2009', 'skylake-2015', 'modern'] as const;

/** Default profile: the machine of Adams & Agesen (ASPLOS 2006). */
export const DEFAULT_PROFILE = 'netburst-2006';

const cache = new Map<string, CostProfile>();

/** Decode a profile from parsed JSON. */
export const decodeProfile = (json: unknown, origin: string): Either<string, CostProfile> => {
  const r = CostProfileCodec.decode(json);
  if (isLeft(r)) return left(`${origin}: invalid cost profile\n${formatValidationErrors(r.left).join('\n')}`);
  const bad = Object.keys(r.right.costs).filter((k) => !(Number.isSafeInteger(r.right.costs[k].cycles) && r.right.costs[k].cycles >= 0));
  if (bad.length > 0) return left(`${origin}: costs must be whole non-negative numbers of cycles (the clock counts whole cycles): ${bad.join(', ')}`);
  const instruction = r.right.costs.instruction?.cycles;
  if (instruction !== undefined && instruction < 1) return left(`${origin}: an instruction must cost at least one cycle (the clock must advance), got ${instruction}`);
  return right(r.right);
};

/** Load a profile by shipped name or by path to a JSON file. */
export const loadProfile = (nameOrPath: string): Either<string, CostProfile> => {
  const hit = cache.get(nameOrPath);
  if (hit) return right(hit);
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/');
  if (!isPath && !(PROFILE_NAMES as readonly string[]).includes(nameOrPath))
    return left(`unknown profile '${nameOrPath}'; valid profiles: ${PROFILE_NAMES.join(', ')} (or a path to a profile .json file)`);
  const file = isPath ? nameOrPath : path.join(PROFILE_DIR, `${nameOrPath}.json`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return left(`cannot read profile '${file}': ${(e as Error).message}`);
  }
  const r = decodeProfile(json, file);
  if (!isLeft(r)) cache.set(nameOrPath, r.right);
  return r;
};

/** A profile's vendor (intel when the file gives none). */
export const vendorOf = (p: Pick<CostProfile, 'vendor'>): Vendor => p.vendor ?? 'intel';

/** Shipped profiles of a vendor, in chronological order. */
export const profilesOf = (vendor: Vendor): string[] =>
  PROFILE_NAMES.filter((n) => {
    const p = loadProfile(n);
    return !isLeft(p) && vendorOf(p.right) === vendor;
  });

/** Shipped profiles that have a feature, in chronological order. */
export const profilesWith = (feature: keyof CostProfile['features']): string[] =>
  PROFILE_NAMES.filter((n) => {
    const p = loadProfile(n);
    return !isLeft(p) && p.right.features[feature];
  });

/**
 * A profile with some per-event costs replaced (cost sensitivity: `run --cost KEY=CYCLES`,
 * `costOverrides` in specs). Each replaced cost says so in its source. Unknown keys and
 * values that are not whole non-negative cycle counts (an instruction at least one) are
 * refused, all at once.
 */
export const withCostOverrides = (p: CostProfile, overrides: Readonly<Record<string, number>>): Either<string[], CostProfile> => {
  const errors: string[] = [];
  const costs = { ...p.costs };
  for (const [key, cycles] of Object.entries(overrides)) {
    if (!Object.hasOwn(p.costs, key)) {
      errors.push(`cost override '${key}': profile '${p.name}' has no such cost; its costs: ${Object.keys(p.costs).join(', ')}`);
      continue;
    }
    if (!Number.isSafeInteger(cycles) || cycles < (key === 'instruction' ? 1 : 0)) {
      errors.push(`cost override ${key}=${cycles}: expected a whole number of cycles${key === 'instruction' ? ' of at least 1' : ' (0 or more)'}`);
      continue;
    }
    costs[key] = { cycles, source: `override: ${cycles} cycles instead of the profile's ${p.costs[key].cycles} (${p.costs[key].source})` };
  }
  return errors.length > 0 ? left(errors) : right({ ...p, costs });
};
