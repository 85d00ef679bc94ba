/**
 * Strategies loaded at run time from files (`--strategy-module ./my-strategy.ts`), next to
 * the built-in registry. A module exports one or more `Strategy` values (any export whose
 * shape is a strategy counts).
 * @category Strategies
 */
import * as path from 'path';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { findStrategy, STRATEGIES } from './registry';
import { STRATEGY_API_VERSION, type Strategy } from './strategy';

export { STRATEGY_API_VERSION };

const loaded = new Map<string, Strategy>();

/** Whether a value looks like a Strategy. */
export const isStrategy = (v: unknown): v is Strategy => {
  const s = v as Partial<Strategy> | null;
  return (
    s !== null &&
    typeof s === 'object' &&
    typeof s.name === 'string' &&
    (s.kernelBuild === 'native' || s.kernelBuild === 'paravirt') &&
    typeof s.start === 'function' &&
    typeof s.check === 'function' &&
    typeof s.options === 'object' &&
    typeof s.reservedBytes === 'number'
  );
};

/**
 * The API version a module's `apiVersion` export declares: the current one if it declares
 * none; refused (with both versions named) if it is not a finite number or its major version
 * differs from STRATEGY_API_VERSION.
 */
export const moduleApiVersion = (file: string, declared: unknown): Either<string, number> => {
  if (declared === undefined) return right(STRATEGY_API_VERSION);
  if (typeof declared !== 'number' || !Number.isFinite(declared) || declared < 0)
    return left(`strategy module '${file}': apiVersion must be a number (ringlab's strategy API version is ${STRATEGY_API_VERSION}), got ${JSON.stringify(declared) ?? String(declared)}`);
  if (Math.trunc(declared) !== STRATEGY_API_VERSION)
    return left(
      `strategy module '${file}' is written for strategy API version ${declared}, but this ringlab has strategy API version ${STRATEGY_API_VERSION}; ` +
        `${declared > STRATEGY_API_VERSION ? 'update ringlab' : 'update the module'} (see the README's "Writing a strategy")`,
    );
  return right(declared);
};

/** A loaded strategy module: its strategies and the API version it is written for. */
export interface LoadedModule {
  readonly file: string;
  readonly strategies: readonly Strategy[];
  /** the module's `apiVersion`, or STRATEGY_API_VERSION if it declares none */
  readonly apiVersion: number;
  /** whether the module exports `apiVersion` */
  readonly declaresApiVersion: boolean;
}

/**
 * Read a module file without registering its strategies (`ringlab check` runs them by
 * value): their names must not clash with built-ins, its API version must be this one's.
 */
export const readStrategyModule = (file: string): Either<string, LoadedModule> => {
  const abs = path.resolve(file);
  let mod: Record<string, unknown>;
  try {
    // ts-node is registered by the CLI entry point and by the workers, so .ts files load too
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(abs) as Record<string, unknown>;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return left(err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(abs) ? `cannot load strategy module '${file}': no such file` : `cannot load strategy module '${file}': ${err.message}`);
  }
  if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) return left(`strategy module '${file}' exports no strategy (it exports ${mod === null ? 'null' : typeof mod})`);
  const version = moduleApiVersion(file, mod.apiVersion);
  if (isLeft(version)) return version;
  const found = Object.values(mod).filter(isStrategy);
  if (found.length === 0) return left(`strategy module '${file}' exports no strategy (a value with name, kernelBuild, options, reservedBytes, check and start)`);
  for (const s of found) {
    if (Object.prototype.hasOwnProperty.call(STRATEGIES, s.name)) return left(`strategy module '${file}': '${s.name}' is already a built-in strategy`);
  }
  return right({ file, strategies: found, apiVersion: version.right, declaresApiVersion: mod.apiVersion !== undefined });
};

/** Load a module file and register its strategies (see readStrategyModule), so that they are found by name. */
export const loadStrategyModuleInfo = (file: string): Either<string, LoadedModule> => {
  const r = readStrategyModule(file);
  if (!isLeft(r)) for (const s of r.right.strategies) loaded.set(s.name, s);
  return r;
};

/** Load the strategies a module file exports (see loadStrategyModuleInfo). */
export const loadStrategyModule = (file: string): Either<string, Strategy[]> => {
  const r = loadStrategyModuleInfo(file);
  return isLeft(r) ? r : right([...r.right.strategies]);
};

/** Built-in and loaded strategies, by name. */
export const allStrategies = (): Strategy[] => [...Object.values(STRATEGIES), ...loaded.values()];

/** Look a strategy up among built-in and loaded ones; an unknown name lists the valid ones. */
export const lookupStrategy = (name: string): Either<string, Strategy> => {
  const s = loaded.get(name);
  if (s) return right(s);
  const b = findStrategy(name);
  return b._tag === 'Right' ? b : left(`unknown strategy '${name}'; valid strategies: ${allStrategies().map((x) => x.name).join(', ')}`);
};
