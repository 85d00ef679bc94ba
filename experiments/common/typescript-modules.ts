/**
 * Strategy modules written in TypeScript (`--strategy-module my-vmm.ts`) while the command
 * runs compiled JavaScript from dist/: ts-node (transpile-only) is registered when such a
 * module is first given, in the thread that loads it, so commands without one never load
 * it. Running from the sources (tests, a stale build) a TypeScript loader is already there.
 * @category Common
 */

const TYPESCRIPT_FILE = /\.[cm]?ts$/;

/** Make `require` able to load the TypeScript files among `files`, if there are any. */
export const enableTypeScriptModules = (files: readonly string[]): void => {
  if (!files.some((f) => TYPESCRIPT_FILE.test(f)) || require.extensions['.ts'] !== undefined) return;
  // Loaded here, not imported, so that a command without a TypeScript module never pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsNode = require('ts-node') as typeof import('ts-node');
  // ringlab's own tsconfig.json, found upward from here (the compiled file sits below it in dist/)
  tsNode.register({ transpileOnly: true, projectSearchDir: __dirname });
};
