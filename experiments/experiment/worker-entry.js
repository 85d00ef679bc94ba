'use strict';
// Worker-thread entry for piscina: TypeScript sources need ts-node in each worker.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
module.exports = require('./worker.ts').runInWorker;
