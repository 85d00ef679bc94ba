import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_DIR, PROFILE_NAMES } from '../../../core/cost/profile';

/** The profiles' README documents every key and tabulates every cost: it must say what the files say. */
describe('core/profiles/README.md', () => {
  const readme = fs.readFileSync(path.join(PROFILE_DIR, 'README.md'), 'utf8');
  const profiles = PROFILE_NAMES.map((n) => {
    const p = loadProfile(n);
    if (isLeft(p)) throw new Error(p.left);
    return p.right;
  });
  const keys = Object.keys(profiles[0].costs);

  it('the table has one column per shipped profile, in order', () => {
    expect(readme).to.include(`| cost (cycles) | ${PROFILE_NAMES.join(' | ')} |`);
  });

  it("the table's row of each cost key gives every profile's cycles", () => {
    for (const k of keys) expect(readme, k).to.include(`| ${k} | ${profiles.map((p) => p.costs[k].cycles).join(' | ')} |`);
  });

  it('the key table explains every cost key', () => {
    const table = readme.slice(readme.indexOf('## Keys'), readme.indexOf('## How the numbers were chosen'));
    const explained = new Set(
      table
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .flatMap((l) => l.split('|')[1].split(',').map((s) => s.trim())),
    );
    expect(keys.filter((k) => !explained.has(k))).to.deep.equal([]);
    expect([...explained].filter((k) => k !== 'key' && !keys.includes(k))).to.deep.equal([]);
  });
});
