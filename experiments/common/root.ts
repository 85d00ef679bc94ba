/**
 * The project's root folder (where package.json is), found from this module whether it runs
 * from the sources or compiled into dist/.
 * @category Common
 */
import * as fs from 'fs';
import * as path from 'path';

const findRoot = (from: string): string => {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'ringlab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`internal error: no ringlab package.json above ${from}`);
  }
};

/** The root folder of the ringlab checkout or installation. */
export const PROJECT_ROOT = findRoot(__dirname);

/** The parsed package.json of ringlab. */
export const PACKAGE_JSON = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
};
