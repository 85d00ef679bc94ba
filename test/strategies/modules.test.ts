import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/Either';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadStrategyModule, loadStrategyModuleInfo, lookupStrategy, moduleApiVersion, readStrategyModule, STRATEGY_API_VERSION } from '../../strategies/modules';
import { STRATEGY_API_VERSION as FROM_STRATEGY } from '../../strategies/strategy';
import { cli } from '../experiments/cli/helpers';

const EXAMPLE = path.join(__dirname, '..', '..', 'experiments', 'examples', 'minimal-vmm.ts');
let counter = 0;

/** A JavaScript strategy module in a fresh file, with `extra` appended (e.g. an apiVersion export). */
const moduleFile = (name: string, extra: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-module-'));
  const file = path.join(dir, `m${counter++}.js`);
  fs.writeFileSync(
    file,
    `exports.s = { name: ${JSON.stringify(name)}, description: 'test', kernelBuild: 'native', options: {}, counters: [], reservedBytes: 0, check: () => null, start: () => ({ vcpus: [{}] }) };\n${extra}\n`,
  );
  return file;
};

describe('strategy modules: the API version', () => {
  it('ringlab exports its current strategy API version, a positive integer', () => {
    expect(STRATEGY_API_VERSION).to.equal(FROM_STRATEGY);
    expect(Number.isInteger(STRATEGY_API_VERSION) && STRATEGY_API_VERSION >= 1).to.equal(true);
  });

  it('a module without apiVersion is accepted, with the current version assumed', () => {
    const r = loadStrategyModuleInfo(moduleFile('api-none', ''));
    if (isLeft(r)) throw new Error(r.left);
    expect(r.right).to.include({ apiVersion: STRATEGY_API_VERSION, declaresApiVersion: false });
    expect(r.right.strategies.map((s) => s.name)).to.deep.equal(['api-none']);
    expect(isRight(lookupStrategy('api-none'))).to.equal(true);
  });

  it('a module declaring the current version (or a minor of it) is accepted', () => {
    const same = readStrategyModule(moduleFile('api-same', `exports.apiVersion = ${STRATEGY_API_VERSION};`));
    if (isLeft(same)) throw new Error(same.left);
    expect(same.right).to.include({ apiVersion: STRATEGY_API_VERSION, declaresApiVersion: true });
    const minor = readStrategyModule(moduleFile('api-minor', `exports.apiVersion = ${STRATEGY_API_VERSION}.1;`));
    if (isLeft(minor)) throw new Error(minor.left);
    expect(minor.right.apiVersion).to.equal(STRATEGY_API_VERSION + 0.1);
  });

  it('a module declaring another major version is refused, naming both versions, and registers nothing', () => {
    const newer = STRATEGY_API_VERSION + 1;
    const r = loadStrategyModule(moduleFile('api-newer', `exports.apiVersion = ${newer};`));
    expect(isLeft(r)).to.equal(true);
    if (!isLeft(r)) return;
    expect(r.left).to.contain(`strategy API version ${newer}`).and.contain(`this ringlab has strategy API version ${STRATEGY_API_VERSION}`).and.contain('update ringlab');
    expect(isLeft(lookupStrategy('api-newer'))).to.equal(true);
    const older = moduleApiVersion('old.ts', STRATEGY_API_VERSION - 1);
    expect(isLeft(older) && older.left).to.be.a('string').and.contain(`version ${STRATEGY_API_VERSION - 1}`).and.contain('update the module');
  });

  it('an apiVersion that is not a number is refused', () => {
    const r = loadStrategyModule(moduleFile('api-text', `exports.apiVersion = '1';`));
    expect(isLeft(r) && r.left).to.be.a('string').and.contain('apiVersion must be a number').and.contain('got "1"');
    expect(isLeft(moduleApiVersion('x.ts', NaN))).to.equal(true);
  });

  it('the shipped example declares the current version', () => {
    const r = readStrategyModule(EXAMPLE);
    if (isLeft(r)) throw new Error(r.left);
    expect(r.right).to.include({ apiVersion: STRATEGY_API_VERSION, declaresApiVersion: true });
  });

  it('the CLI refuses a module of another major version with exit 2 and one clear line', async () => {
    const file = moduleFile('api-cli', `exports.apiVersion = ${STRATEGY_API_VERSION + 1};`);
    const r = await cli('list', '--strategy-module', file);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain(`this ringlab has strategy API version ${STRATEGY_API_VERSION}`);
    expect(r.err).to.not.contain('    at ');
  });
});

describe('strategy modules: reading without registering', () => {
  it('readStrategyModule returns the strategies but does not make them known by name', () => {
    const r = readStrategyModule(moduleFile('read-only', ''));
    if (isLeft(r)) throw new Error(r.left);
    expect(r.right.strategies.map((s) => s.name)).to.deep.equal(['read-only']);
    expect(isLeft(lookupStrategy('read-only'))).to.equal(true);
  });
});
