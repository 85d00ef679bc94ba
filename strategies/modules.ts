/**
 * Strategies loaded at run time from files (`--strategy-module ./my-strategy.ts`), next to
 * the built-in registry. A module exports one or more `Strategy` values (any export whose
 * shape is a strategy counts).
 * @category Strategies
 */
import * as path from 'path';
import { left, right, type Either } from 'fp-ts/Either';
import { findStrategy, STRATEGIES } from './registry';
import type { Strategy } from './strategy';

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

/** Load the strategies a module file exports; their names must not clash with built-ins. */
export const loadStrategyModule = (file: string): Either<string, Strategy[]> => {
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
  const found = Object.values(mod).filter(isStrategy);
  if (found.length === 0) return left(`strategy module '${file}' exports no strategy (a value with name, kernelBuild, options, reservedBytes, check and start)`);
  for (const s of found) {
    if (Object.prototype.hasOwnProperty.call(STRATEGIES, s.name)) return left(`strategy module '${file}': '${s.name}' is already a built-in strategy`);
    loaded.set(s.name, s);
  }
  return right(found);
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
