import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { tmpdir } from '../experiments/cli/helpers';

/** tools/ is plain JavaScript (it runs before any build); its shape as this test uses it. */
interface BuildInputs {
  listInputs(root: string): string[];
  fingerprint(root: string, files: string[]): { sourceHash: string; files: Record<string, { size: number; mtimeMs: number; sha256: string }> };
  changedInputs(root: string, recorded: ReturnType<BuildInputs['fingerprint']>): string[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { listInputs, fingerprint, changedInputs } = require('../../tools/build-inputs') as BuildInputs;

const write = (root: string, rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};

describe('tools/build-inputs: what the build is made from, and whether it is current', () => {
  let root: string;
  beforeEach(() => {
    root = tmpdir();
    write(root, 'tsconfig.json', '{}');
    write(root, 'core/cpu/machine.ts', 'export const a = 1;\n');
    write(root, 'core/guest/kernel/kernel.s', 'hlt\n');
    write(root, 'core/profiles/p.json', '{}');
    write(root, 'core/guest/README.md', '# not an input');
    write(root, 'strategies/s.ts', 'export {};\n');
    write(root, 'experiments/spec.schema.json', '{}');
    write(root, 'experiments/nanobench.json', '{}');
    write(root, 'experiments/bench/bench.ts', 'export {};\n');
    write(root, 'test/x.test.ts', 'export {};\n');
  });

  it('lists the compiled sources (the bench included), the assets read through __dirname and the tsconfig files; not tests or docs', () => {
    expect(listInputs(root)).to.deep.equal([
      'core/cpu/machine.ts',
      'core/guest/kernel/kernel.s',
      'core/profiles/p.json',
      'experiments/bench/bench.ts',
      'experiments/spec.schema.json',
      'strategies/s.ts',
      'tsconfig.json',
    ]);
  });

  it('finds nothing changed right after fingerprinting, nor after a touch that keeps the contents', () => {
    const recorded = fingerprint(root, listInputs(root));
    expect(changedInputs(root, recorded)).to.deep.equal([]);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, 'core/cpu/machine.ts'), later, later);
    expect(changedInputs(root, recorded)).to.deep.equal([]);
  });

  it('finds edited (same size or not), added and removed inputs, and ignores other files', () => {
    const recorded = fingerprint(root, listInputs(root));
    write(root, 'core/cpu/machine.ts', 'export const b = 1;\n'); // same size
    write(root, 'core/profiles/p.json', '{ }');
    write(root, 'core/guest/workloads/new.s', 'hlt\n');
    fs.rmSync(path.join(root, 'strategies/s.ts'));
    write(root, 'experiments/bench/bench.ts', 'export const changed = 1;\n');
    write(root, 'core/guest/README.md', '# edited');
    write(root, 'test/x.test.ts', 'export const changed = 1;\n');
    expect(changedInputs(root, recorded)).to.deep.equal(['core/cpu/machine.ts', 'core/guest/workloads/new.s', 'core/profiles/p.json', 'experiments/bench/bench.ts', 'strategies/s.ts']);
  });

  it('gives the same source hash for the same contents, another for other contents', () => {
    const a = fingerprint(root, listInputs(root)).sourceHash;
    expect(fingerprint(root, listInputs(root)).sourceHash).to.equal(a);
    write(root, 'core/guest/kernel/kernel.s', 'nop\n');
    expect(fingerprint(root, listInputs(root)).sourceHash).to.not.equal(a);
  });
});
