import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { cli, tmpdir } from '../cli/helpers';

const SPEC = { name: 'one', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall', params: { n: 10 } }], profiles: ['modern'] };

describe('output directories: --out at or under a regular file is a clear error', function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  let spec: string;
  before(() => {
    dir = tmpdir();
    file = path.join(dir, 'file');
    fs.writeFileSync(file, 'not a directory');
    spec = path.join(dir, 'one.json');
    fs.writeFileSync(spec, JSON.stringify(SPEC));
  });

  const refused = async (argv: string[], message: string) => {
    const r = await cli(...argv);
    expect(r.code, r.err).to.equal(2);
    expect(r.err).to.equal(`ringlab: ${message}\n`);
    expect(fs.readFileSync(file, 'utf8')).to.equal('not a directory');
  };

  it('compare', async () => {
    await refused(['compare', '--out', path.join(file, 'sub')], `cannot create the output directory '${file}/sub': a part of the path is a file, not a directory`);
    await refused(['compare', '--out', file, '--force'], `cannot create the output directory '${file}': it exists and is not a directory`);
  });

  it('experiment', async () => {
    await refused(['experiment', spec, '--out', path.join(file, 'sub')], `cannot create the output directory '${file}/sub': a part of the path is a file, not a directory`);
    await refused(['experiment', spec, '--out', file, '--force'], `'${file}' exists and is not a directory; choose another --out`);
  });

  it('merge', async () => {
    const shard = path.join(dir, 'shard');
    expect((await cli('experiment', spec, '--out', shard, '--workers', '1')).code).to.equal(0);
    await refused(['merge', shard, '--out', path.join(file, 'sub')], `cannot create the output directory '${file}/sub': a part of the path is a file, not a directory`);
    await refused(['merge', shard, '--out', file, '--force'], `'${file}' exists and is not a directory; choose another --out`);
  });
});
