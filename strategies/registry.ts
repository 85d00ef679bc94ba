/**
 * The strategy registry: a record keyed by name, so a strategy named in the union but not
 * registered (or the reverse) is a compile error.
 * @category Strategies
 */
import { left, right, type Either } from 'fp-ts/Either';
import { binaryTranslation } from './binary-translation/binary-translation';
import { native } from './native/native';
import { hardwareAssisted } from './hardware-assisted/hardware-assisted';
import { trapAndEmulate } from './trap-and-emulate/trap-and-emulate';
import { paravirt } from './paravirt/paravirt';
import { hybrid } from './hybrid/hybrid';
import type { Strategy } from './strategy';

/** Names of the built-in strategies. */
export type StrategyName = 'native' | 'trap-and-emulate' | 'hardware-assisted' | 'paravirt' | 'binary-translation' | 'hybrid';

/** The built-in strategies. */
export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  native,
  'trap-and-emulate': trapAndEmulate,
  'hardware-assisted': hardwareAssisted,
  paravirt,
  'binary-translation': binaryTranslation,
  hybrid,
};

/** Names of the built-in strategies, in registry order. */
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as StrategyName[];

/** Look a strategy up by name; an unknown name lists the valid ones. */
export const findStrategy = (name: string): Either<string, Strategy> =>
  Object.prototype.hasOwnProperty.call(STRATEGIES, name)
    ? right(STRATEGIES[name as StrategyName])
    : left(`unknown strategy '${name}'; valid strategies: ${STRATEGY_NAMES.join(', ')}`);
