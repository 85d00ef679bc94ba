'use strict';
// Worker-thread entry: TypeScript sources need ts-node in each worker.
const path = require('path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', '..', 'tsconfig.json') });
require('./worker.ts');
