#!/usr/bin/env node
'use strict';
// Entry point of the `ringlab` command: runs the compiled code in dist/ when it is current,
// else the TypeScript sources through ts-node with a warning (tools/launch.js).
const { loadCommandModule } = require('../tools/launch');

loadCommandModule('experiments/cli/main', (line) => process.stderr.write(`${line}\n`))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
