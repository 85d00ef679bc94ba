/**
 * Provenance of results: the key every result row and CSV line carries (spec hash, commit
 * and whether the checkout was modified, ringlab version), and what an experiment's record
 * adds (installed versions of the direct dependencies, hashes of the cost profiles used).
 * @category Common
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PROFILE_DIR } from '../../core/cost/profile';
import { PACKAGE_JSON, PROJECT_ROOT as ROOT } from './root';
import { RINGLAB_VERSION } from './version';

/** The key of a run's results: which experiment spec, which code. */
export interface RunProvenance {
  /** hash of the spec's runs (see specHash) */
  readonly specHash: string;
  /** git commit of the ringlab checkout, or 'unknown' */
  readonly commit: string;
  /** the checkout had changes to tracked files that the commit does not hold */
  readonly modified: boolean;
  readonly ringlabVersion: string;
}


/** The checkout's commit and whether tracked files differ from it; 'unknown' outside git. */
export const gitState = (): { commit: string; modified: boolean } => {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), modified: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return { commit: 'unknown', modified: false };
  }
};

/** The provenance of runs of the spec with hash `specHash`, made now. */
export const runProvenance = (specHash: string): RunProvenance => ({ specHash, ...gitState(), ringlabVersion: RINGLAB_VERSION });

/** Installed versions of ringlab's direct (run-time) dependencies, from node_modules; null if one is missing. */
export const dependencyVersions = (): Record<string, string | null> => {
  const pkg = PACKAGE_JSON;
  return Object.fromEntries(
    Object.keys(pkg.dependencies ?? {})
      .sort()
      .map((name) => {
        try {
          const file = require.resolve(`${name}/package.json`, { paths: [ROOT] });
          return [name, (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version];
        } catch {
          // a package whose exports map hides package.json: look in node_modules directly
          const file = path.join(ROOT, 'node_modules', name, 'package.json');
          return [name, fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version : null];
        }
      }),
  );
};

/** The file of a profile named as `loadProfile` takes it: a shipped name or a path. */
const profileFile = (nameOrPath: string): string =>
  nameOrPath.endsWith('.json') || nameOrPath.includes('/') ? path.resolve(nameOrPath) : path.join(PROFILE_DIR, `${nameOrPath}.json`);

/** sha256 of each profile's file, by the name the spec used; null for a file that cannot be read. */
export const profileHashes = (profiles: readonly string[]): Record<string, { file: string; sha256: string | null }> =>
  Object.fromEntries(
    [...new Set(profiles)].map((p) => {
      const file = profileFile(p);
      let sha256: string | null = null;
      try {
        sha256 = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      } catch {
        // reported where the profile is loaded
      }
      return [p, { file: path.relative(ROOT, file).startsWith('..') ? file : path.relative(ROOT, file), sha256 }];
    }),
  );
