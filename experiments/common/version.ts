/**
 * The ringlab version, from package.json (printed by `--version`, recorded with results).
 * @category Common
 */
import { PACKAGE_JSON } from './root';

/** The version of this ringlab. */
export const RINGLAB_VERSION: string = PACKAGE_JSON.version;
