import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { STRATEGY_API_VERSION } from '../../../../strategies/strategy';
import { cli, tmpdir } from '../helpers';
import { WORKLOAD_NAMES } from '../../../../core/guest/workloads';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const EXAMPLE = path.join(ROOT, 'experiments', 'examples', 'minimal-vmm.ts');
const NATIVE = JSON.stringify(path.join(ROOT, 'strategies', 'native', 'native.ts'));
const OPTIONS = JSON.stringify(path.join(ROOT, 'strategies', 'options.ts'));
let counter = 0;

/** A JavaScript module in a fresh file: `body` may use `native` (the native strategy) and `choice`. */
const moduleFile = (body: string): string => {
  const file = path.join(tmpdir(), `check-${counter++}.js`);
  fs.writeFileSync(file, `const { native } = require(${NATIVE});\nconst { choice } = require(${OPTIONS});\n${body}\n`);
  return file;
};

describe('CLI: check --strategy-module', function () {
  this.timeout(300_000);

  it('passes the shipped example on every workload against native, with a table and exit 0', async () => {
    const r = await cli('check', '--strategy-module', EXAMPLE, '--quiet');
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.contain(`strategy API version ${STRATEGY_API_VERSION}; strategies: minimal-vmm`);
    const rows = r.out.split('\n').filter((l) => l.startsWith('minimal-vmm '));
    expect(rows).to.have.length(WORKLOAD_NAMES.length);
    for (const l of rows) expect(l).to.match(/ nehalem-2009 +\S+ +pass +\d+\.\d\dx$/);
    expect(r.out.trimEnd().split('\n').pop()).to.equal(`passed: ${WORKLOAD_NAMES.length} run(s) equivalent to native`);
  });

  it('runs every configuration of the choice options, and says when apiVersion is not declared', async () => {
    const file = moduleFile(`exports.two = { ...native, name: 'check-two', options: { mode: choice(['a', 'b'], 'a', 'a mode') } };`);
    const r = await cli('check', '--strategy-module', file, '--workload', 'syscall', '--quiet');
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.contain(`(not declared; the current ${STRATEGY_API_VERSION} assumed)`);
    expect(r.out).to.match(/check-two +\(defaults\) +netburst-2006 +syscall +pass/).and.match(/check-two +mode=b +netburst-2006 +syscall +pass/);
    expect(r.out).to.contain('passed: 2 run(s)');
  });

  it('a strategy that is not equivalent fails the check (exit 1) with its divergence', async () => {
    const file = moduleFile(`exports.broken = { ...native, name: 'check-broken', start: (ctx) => ({ ...native.start(ctx), divergence: () => 'deliberately broken' }) };`);
    const r = await cli('check', '--strategy-module', file, '--workload', 'syscall', '--workload', 'ptemod', '--quiet');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/check-broken .* syscall +FAIL +not equivalent: deliberately broken/);
    expect(r.out).to.contain('FAILED: 2 of 2 run(s) not equivalent to native or in error');
  });

  it('a strategy that throws is an ERROR row with its message, never a stack trace', async () => {
    const file = moduleFile(`exports.thrower = { ...native, name: 'check-thrower', start: () => { throw new Error('boom in start'); } };`);
    const r = await cli('check', '--strategy-module', file, '--workload', 'syscall');
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/check-thrower .* syscall +ERROR +the strategy threw: boom in start/);
    expect(r.out + r.err).to.not.match(/\n\s+at /);
  });

  it('a declaration with broken option codecs or counters is refused with each problem', async () => {
    const file = moduleFile(
      `exports.bad = { ...native, name: 'check-bad', options: { mode: { kind: 'choice', description: 'x', choices: ['a'], default: 'z', codec: choice(['a'], 'a', 'x').codec } }, counters: [{ hits: { shape: 'tally', description: 'no pricing' } }] };`,
    );
    const r = await cli('check', '--strategy-module', file, '--quiet');
    expect(r.code).to.equal(1);
    expect(r.out).to.contain(`check-bad: option 'mode': its default "z" is not one of its choices (a)`);
    expect(r.out).to.contain(`check-bad: counter 'hits' has no pricing`);
    expect(r.out).to.contain('FAILED: 2 problem(s) in the declaration');
  });

  it('a configuration refused on every profile is skipped with a note; nothing checked is a failure', async () => {
    const file = moduleFile(`exports.picky = { ...native, name: 'check-picky', check: () => 'needs a CPU from the future' };`);
    const r = await cli('check', '--strategy-module', file, '--quiet');
    expect(r.code).to.equal(1);
    expect(r.out).to.contain('note: check-picky (defaults): refused on every shipped profile (netburst-2006: needs a CPU from the future); skipped');
    expect(r.out).to.contain('FAILED: nothing was checked');
  });

  it('bad input is exit 2 with one clear line: no module, an unknown workload, a missing file, another API version', async () => {
    const none = await cli('check');
    expect(none.code).to.equal(2);
    expect(none.err).to.contain('check needs a strategy module: ringlab check --strategy-module FILE');
    const wl = await cli('check', '--strategy-module', EXAMPLE, '--workload', 'nope');
    expect(wl.code).to.equal(2);
    expect(wl.err).to.contain("unknown workload 'nope'; valid workloads: syscall");
    const missing = await cli('check', '--strategy-module', '/nonexistent/vmm.ts');
    expect(missing.code).to.equal(2);
    expect(missing.err).to.contain("cannot load strategy module '/nonexistent/vmm.ts': no such file");
    const newer = await cli('check', '--strategy-module', moduleFile(`exports.apiVersion = ${STRATEGY_API_VERSION + 1};\nexports.v = { ...native, name: 'check-newer' };`));
    expect(newer.code).to.equal(2);
    expect(newer.err).to.contain(`strategy API version ${STRATEGY_API_VERSION + 1}, but this ringlab has strategy API version ${STRATEGY_API_VERSION}`);
  });
});
