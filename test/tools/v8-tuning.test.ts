import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';

const REPO = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tuning = require('../../tools/v8-tuning') as {
  V8_TUNING: { v8: string; flags: string[] };
  tuningFor: (version: string) => string[];
};

/** Run `code` in a fresh node at the repository's root; its stdout and stderr. */
const node = (code: string) => spawnSync(process.execPath, ['-e', code], { cwd: REPO, encoding: 'utf8', env: { ...process.env, RINGLAB_SOURCES: '1' } });

describe('V8 tuning (tools/v8-tuning.js)', function () {
  this.timeout(60_000);

  it('applies its flags on the V8 it was measured on, none on another', () => {
    expect(tuning.tuningFor(`${tuning.V8_TUNING.v8}.244.8-node.38`)).to.deep.equal(tuning.V8_TUNING.flags);
    expect(tuning.tuningFor('12.4.254.21-node.33')).to.deep.equal([]);
    expect(tuning.tuningFor(`${tuning.V8_TUNING.v8}0.1.2`)).to.deep.equal([]);
  });

  it('the command loads its code only after tuning V8, and V8 knows every flag (it prints an error for an unknown one)', () => {
    const r = node(
      "const l = require('./tools/launch'); const t = require('./tools/v8-tuning'); const before = t.appliedFlags(); l.loadCommandModule('experiments/run/csv', () => {}); console.log(JSON.stringify([before, t.appliedFlags()]));",
    );
    const expected = tuning.tuningFor(process.versions.v8);
    expect([r.status, r.stderr, JSON.parse(r.stdout)]).to.deep.equal([0, '', [null, expected]]);
  });
});
