/** `run --kernel`: a user's kernel booted instead of the shipped one, in the run and in its native reference. */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { runOne } from '../../../experiments/run/run-one';
import { buildKernel, KERNEL_SOURCE } from '../../../core/guest/kernel-image';

describe('run --kernel', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-kernel-'));
  const copy = path.join(dir, 'kernel.s');
  fs.copyFileSync(KERNEL_SOURCE, copy);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const strip = (r: object) => Object.fromEntries(Object.entries(r).filter(([k]) => !['host', 'kernelFile', 'imageDigests'].includes(k)));

  for (const strategy of ['native', 'paravirt', 'binary-translation', 'hardware-assisted'])
    it(`${strategy}: a copy of the shipped kernel source gives the shipped kernel's results, built for the strategy's build`, () => {
      const spec = { strategy, workload: 'syscall', params: { n: 200 }, profile: 'netburst-2006' };
      const mine = runOne({ ...spec, kernel: copy });
      const shipped = runOne(spec);
      if (isLeft(mine) || isLeft(shipped)) throw new Error('run failed');
      expect(strip(mine.right)).to.deep.equal(strip(shipped.right));
      expect(mine.right.kernelFile).to.equal(copy);
      expect(mine.right.imageDigests?.kernel).to.match(/^[0-9a-f]{64}$/);
    });

  it('the two builds of one source differ (PARAVIRT is defined for the paravirtual one)', () => {
    const a = runOne({ strategy: 'native', workload: 'syscall', params: { n: 10 }, profile: 'netburst-2006', kernel: copy });
    const b = runOne({ strategy: 'paravirt', workload: 'syscall', params: { n: 10 }, profile: 'netburst-2006', kernel: copy });
    if (isLeft(a) || isLeft(b)) throw new Error('run failed');
    expect(a.right.imageDigests?.kernel).to.not.equal(b.right.imageDigests?.kernel);
  });

  it('a flat image is booted as it is', () => {
    const k = buildKernel('native');
    if (isLeft(k)) throw new Error('no kernel');
    const bin = path.join(dir, 'kernel.bin');
    fs.writeFileSync(bin, k.right.bytes);
    const r = runOne({ strategy: 'trap-and-emulate', isa: 'virtualizable', workload: 'divzero', params: { n: 20 }, profile: 'netburst-2006', kernel: bin });
    if (isLeft(r)) throw new Error(r.left.join('\n'));
    expect([r.right.equivalent, r.right.console]).to.deep.equal([true, 'divzero: 20 divide errors ok\n']);
  });

  it("errors name the user's file and line", () => {
    const bad = path.join(dir, 'bad.s');
    fs.writeFileSync(bad, fs.readFileSync(KERNEL_SOURCE, 'utf8') + '\n        frobnicate r1\n');
    const r = runOne({ strategy: 'native', workload: 'syscall', profile: 'netburst-2006', kernel: bad });
    expect(isLeft(r) && r.left.join('\n')).to.match(/bad\.s:\d+:9: unknown instruction 'frobnicate'/);
    const none = runOne({ strategy: 'native', workload: 'syscall', profile: 'netburst-2006', kernel: path.join(dir, 'none.bin') });
    expect(isLeft(none) && none.left.join('\n')).to.match(/cannot read kernel .*none\.bin/);
  });
});

describe('run --kernel under paravirt', function () {
  this.timeout(60_000);
  it('a modified paravirtual kernel boots (the hypervisor validates what it does instead of comparing it with the shipped build)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-pvkernel-'));
    try {
      const mine = path.join(dir, 'kernel.s');
      fs.writeFileSync(mine, fs.readFileSync(KERNEL_SOURCE, 'utf8') + '\n        .word 0x12345678\n');
      const r = runOne({ strategy: 'paravirt', workload: 'forkwait', params: { n: 5 }, profile: 'netburst-2006', kernel: mine });
      if (isLeft(r)) throw new Error(r.left.join('\n'));
      expect([r.right.equivalent, r.right.stop.kind, r.right.console]).to.deep.equal([true, 'shutdown', 'forkwait: 5 forks ok\n']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
