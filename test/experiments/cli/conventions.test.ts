import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { useColour } from '../../../experiments/common/colour';
import { main } from '../../../experiments/cli/main';
import { cli, tmpdir } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

describe('CLI conventions', function () {
  this.timeout(120_000);

  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code).to.equal(0);
      expect(r.out.trim()).to.equal(VERSION);
    }
  });

  it('--help documents the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).to.equal(0);
    expect(r.out).to.contain('Exit codes:').and.match(/^ +0 +success/m).and.match(/^ +1 +the guest or the experiment failed/m);
    expect(r.out).to.match(/^ +2 +bad input/m).and.match(/^ +70 +an internal error/m).and.contain('--quiet').and.contain('NO_COLOR');
  });

  it('--quiet drops progress and informational lines, not results or errors', async () => {
    const dir = tmpdir();
    const spec = path.join(dir, 'q.json');
    fs.writeFileSync(spec, JSON.stringify({ name: 'q', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall', params: { n: 5 } }], profiles: ['netburst-2006'], output: { charts: [] } }));
    const loud = await cli('experiment', spec, '--out', path.join(dir, 'a'), '--workers', '1');
    expect(loud.err).to.contain('running 1 on 1 worker').and.contain('progress: 1/1');
    for (const argv of [['--quiet', 'experiment', spec, '--out', path.join(dir, 'b')], ['experiment', spec, '-q', '--out', path.join(dir, 'c')]]) {
      const r = await cli(...argv, '--workers', '1');
      expect(r.code, r.err).to.equal(0);
      expect(r.err).to.equal('');
      expect(r.out).to.contain('1 result(s)');
    }
    const bad = await cli('--quiet', 'experiment', path.join(dir, 'missing.json'));
    expect(bad.code).to.equal(2);
    expect(bad.err).to.contain('no such file');
  });

  it('colours errors only where colour is wanted: a terminal without NO_COLOR, or FORCE_COLOR', async () => {
    const tty = { isTTY: true };
    expect(useColour(tty, {})).to.equal(true);
    expect(useColour({ isTTY: false }, {})).to.equal(false);
    expect(useColour({}, {})).to.equal(false);
    expect(useColour(tty, { NO_COLOR: '1' })).to.equal(false);
    expect(useColour(tty, { NO_COLOR: '' })).to.equal(true);
    expect(useColour({ isTTY: false }, { FORCE_COLOR: '1' })).to.equal(true);
    expect(useColour(tty, { FORCE_COLOR: '0' })).to.equal(false);
    expect(useColour(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).to.equal(false);
    expect(useColour({ isTTY: true, hasColors: () => false }, {})).to.equal(false);
    const run = async (errColour: boolean) => {
      let err = '';
      const code = await main(['run', '--strategy', 'vmware', '--workload', 'syscall'], { out: () => undefined, err: (t) => (err += t), progress: { write: () => true }, errColour });
      return { code, err };
    };
    const coloured = await run(true);
    expect(coloured.code).to.equal(2);
    expect(coloured.err).to.contain('\x1b[31mringlab:\x1b[39m unknown strategy');
    expect((await run(false)).err).to.not.contain('\x1b[');
    // the real command: piped stderr is plain unless FORCE_COLOR
    const bin = path.join(ROOT, 'bin', 'ringlab.js');
    const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined };
    const plain = spawnSync(process.execPath, [bin, 'bogus'], { encoding: 'utf8', env });
    expect(plain.status).to.equal(2);
    expect(plain.stderr).to.contain("unknown command 'bogus'").and.not.contain('\x1b[');
    const forced = spawnSync(process.execPath, [bin, 'bogus'], { encoding: 'utf8', env: { ...env, FORCE_COLOR: '1' } });
    expect(forced.stderr).to.contain("\x1b[31merror: unknown command 'bogus'\x1b[39m");
  });
});
