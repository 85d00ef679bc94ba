/**
 * The ringlab version, from package.json (printed by `--version`, recorded with results).
 * @category Common
 */
import pkg = require('../../package.json');

/** The version of this ringlab. */
export const RINGLAB_VERSION: string = pkg.version;
