import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpdir } from '../experiments/cli/helpers';
import { readPrebuiltImages } from '../../core/guest/prebuilt-images';
import { assembleShippedImages } from '../../core/guest/write-prebuilt-images';
import { WORKLOAD_NAMES } from '../../core/guest/workloads';

const REPO = path.join(__dirname, '..', '..');

/** What a copy of the project needs to build and run the command (node_modules is linked). */
const PROJECT = ['bin', 'tools', 'core', 'strategies', 'experiments', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.types.json', 'index.js'];

const SPEC = {
  name: 'module-in-workers',
  strategies: [{ name: 'native' }, { name: 'minimal-vmm' }],
  workloads: [{ name: 'syscall', params: { n: 10 } }, { name: 'in', params: { n: 10 } }],
  profiles: ['nehalem-2009'],
  output: { charts: [] },
};

describe('the built command (dist/)', function () {
  this.timeout(300_000);
  let root: string;
  const ringlab = (...args: string[]) => {
    const env = { ...process.env };
    delete env.RINGLAB_SOURCES;
    return spawnSync(process.execPath, [path.join(root, 'bin', 'ringlab.js'), ...args], { cwd: root, encoding: 'utf8', env });
  };

  before(() => {
    root = tmpdir();
    for (const p of PROJECT) fs.cpSync(path.join(REPO, p), path.join(root, p), { recursive: true });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'junction');
    const build = spawnSync(process.execPath, [path.join(root, 'tools', 'build.js')], { encoding: 'utf8' });
    expect(build.status, build.stderr + build.stdout).to.equal(0);
  });

  it('builds the modules and the assets the code reads through __dirname into dist/', () => {
    // the bench's engine measurements run on the built code too (experiments/bench/engine-probe.js)
    for (const f of ['experiments/cli/main.js', 'experiments/experiment/worker.js', 'experiments/bench/engine-runs.js', 'core/guest/kernel/kernel.s', 'core/profiles/netburst-2006.json', 'experiments/spec.schema.json', 'build-info.json']) {
      expect(fs.existsSync(path.join(root, 'dist', f)), f).to.equal(true);
    }
  });

  it('runs from dist/ with no warning, and loads a TypeScript strategy module in the main thread and in workers', () => {
    const list = ringlab('list', '--strategy-module', 'experiments/examples/minimal-vmm.ts');
    expect(list.status, list.stderr).to.equal(0);
    expect(list.stderr).to.equal('');
    expect(list.stdout).to.contain('minimal-vmm');
    fs.writeFileSync(path.join(root, 'spec.json'), JSON.stringify(SPEC));
    const out = path.join(root, 'out');
    const r = ringlab('experiment', 'spec.json', '--workers', '2', '--strategy-module', 'experiments/examples/minimal-vmm.ts', '--out', out);
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    const rows = fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { strategy: string; equivalent: boolean });
    expect(rows.filter((x) => x.strategy === 'minimal-vmm' && x.equivalent)).to.have.length(2);
  });

  it('is a package: a project outside it imports ringlab by name, with types, and its strategy module passes check', () => {
    const consumer = path.join(root, '..', `${path.basename(root)}-consumer`);
    fs.mkdirSync(path.join(consumer, 'node_modules'), { recursive: true });
    fs.symlinkSync(root, path.join(consumer, 'node_modules', 'ringlab'), 'junction');
    expect(fs.existsSync(path.join(root, 'dist', 'types', 'experiments', 'api.d.ts'))).to.equal(true);
    // the example VMM as a module of another project: imports from 'ringlab' only
    const example = fs.readFileSync(path.join(root, 'experiments', 'examples', 'minimal-vmm.ts'), 'utf8');
    const imports = [...example.matchAll(/^import (?:type )?\{([^}]+)\} from '[^']+';$/gm)].flatMap((m) => m[1].split(',').map((x) => x.trim()));
    const body = example.replace(/^import [^;]+;$/gm, '');
    fs.writeFileSync(path.join(consumer, 'my-vmm.ts'), `import { ${imports.map((i) => i.replace(/^type /, '')).join(', ')} } from 'ringlab';\n${body}`);
    fs.writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', strict: true, skipLibCheck: true, noEmit: true, types: [] }, files: ['my-vmm.ts'] }),
    );
    const tsc = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { encoding: 'utf8' });
    expect(tsc.status, `the consumer type-checks against ringlab's declarations: ${tsc.stdout}`).to.equal(0);
    const use = spawnSync(
      process.execPath,
      ['-e', "const r = require('ringlab'); const x = r.runOne({ strategy: 'paravirt', workload: 'syscall', profile: 'netburst-2006', params: { n: 20 } }); console.log('paravirt' in r.STRATEGIES, x.right.equivalent)"],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(use.stderr).to.equal('');
    expect(use.stdout.trim()).to.equal('true true');
    const check = ringlab('check', '--strategy-module', path.join(consumer, 'my-vmm.ts'), '--workload', 'syscall', '--workload', 'in');
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.contain('passed: 2 run(s) equivalent to native');
  });

  it('prebuilds the shipped guest images, the same the sources assemble to, and runs them', () => {
    const file = path.join(root, 'dist', 'core', 'guest', 'images.json');
    const built = readPrebuiltImages(file)!;
    const fresh = assembleShippedImages();
    expect(Object.keys(built)).to.have.members(Object.keys(fresh)).and.include.members(['kernel/native', 'kernel/paravirt/true', 'kernel/paravirt/false', 'workload/syscall']);
    expect(Object.keys(built)).to.have.length(3 + WORKLOAD_NAMES.length);
    // the same images, source files relative to their guest directory
    expect(built).to.deep.equal(fresh);
    // the command runs the prebuilt image, not the source: swapped for another workload's, it runs that one
    const run = (workload: string) => JSON.parse(ringlab('run', '--strategy', 'native', '--workload', workload, '--param', 'n=3', '--json').stdout) as { console: string };
    const syscall = run('syscall').console;
    fs.writeFileSync(file, JSON.stringify({ ...built, 'workload/syscall': built['workload/compute'] }));
    try {
      const swapped = run('syscall').console;
      expect(swapped).to.not.equal(syscall);
      expect(swapped).to.match(/^compute: 3 rounds/);
    } finally {
      fs.writeFileSync(file, JSON.stringify(built));
    }
  });

  it('runs the sources instead of a stale build, with a one-line warning naming the changed file', () => {
    fs.appendFileSync(path.join(root, 'core', 'cost', 'profile.ts'), '\n// edited after the build\n');
    const r = ringlab('list');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('netburst-2006');
    expect(r.stderr.trim().split('\n')).to.deep.equal([
      'ringlab: warning: core/cost/profile.ts changed since the last build; running the sources through ts-node (slow start; `npm run build` restores the fast start)',
    ]);
  });
});
