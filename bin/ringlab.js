#!/usr/bin/env node
'use strict';
// Entry point of the `ringlab` command: runs the TypeScript sources through ts-node
// (transpile-only: type checking is `npm run typecheck`'s job, not every invocation's).
const path = require('path');
require('ts-node').register({
  transpileOnly: true,
  project: path.join(__dirname, '..', 'tsconfig.json'),
});
require('../experiments/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
