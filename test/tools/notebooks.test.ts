/**
 * The notebooks (notebooks/*.ipynb): committed clean and importing ringlab by package name,
 * and every one executed by Jupyter with the tslab kernel (tools/notebooks.js execute), any
 * cell error failing the test. Executing needs Jupyter and the kernel (`npm run
 * notebooks:setup`): without them the test is skipped with a message, except in CI (CI=true),
 * where .ci/run installs both and a missing one is a failure.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpdir } from '../experiments/cli/helpers';

const ROOT = path.join(__dirname, '..', '..');
const DIR = path.join(ROOT, 'notebooks');
const KERNEL_SPEC = path.join(DIR, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');

interface Cell {
  readonly cell_type: 'code' | 'markdown';
  readonly source: string | string[];
  readonly outputs?: readonly { output_type: string; data?: Record<string, unknown>; ename?: string; evalue?: string }[];
}
interface Notebook {
  readonly metadata: { kernelspec?: { name: string } };
  readonly cells: readonly Cell[];
}

const read = (file: string): Notebook => JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
const source = (c: Cell): string => (Array.isArray(c.source) ? c.source.join('') : c.source);
const NOTEBOOKS = fs.readdirSync(DIR).filter((f) => f.endsWith('.ipynb')).sort();

/** Why the notebooks cannot be executed here, or null. */
const missing = (): string | null => {
  if (spawnSync('jupyter', ['nbconvert', '--version'], { stdio: 'ignore' }).status !== 0) return 'jupyter nbconvert is not installed';
  if (!fs.existsSync(KERNEL_SPEC)) return 'the tslab kernel is not installed (npm run notebooks:setup)';
  return null;
};

describe('notebooks', function () {
  this.timeout(900_000);

  it('ship a tour, Popek-Goldberg, a sweep, a strategy written in a cell and the host layer, clean, on the tslab kernel, importing ringlab by name', () => {
    expect(NOTEBOOKS).to.include.members(['1-tour.ipynb', '2-popek-goldberg.ipynb', '3-sweep.ipynb', '4-write-a-strategy.ipynb', '5-host-affinity.ipynb']);
    for (const f of NOTEBOOKS) {
      const nb = read(path.join(DIR, f));
      expect(nb.metadata.kernelspec?.name, f).to.equal('tslab');
      const code = nb.cells.filter((c) => c.cell_type === 'code');
      expect(code.filter((c) => (c.outputs ?? []).length > 0), `${f} is committed without outputs`).to.deep.equal([]);
      const imports = code.flatMap((c) => [...source(c).matchAll(/from '([^']+)'/g)].map((m) => m[1]));
      expect(imports, f).to.include('ringlab');
      expect(imports.filter((i) => i.startsWith('.')), `${f} imports ringlab's API, not its files`).to.deep.equal([]);
    }
  });

  it('run under Jupyter without an error, each drawing its charts', function () {
    const why = missing();
    if (why !== null) {
      if (process.env.CI === 'true') expect.fail(`CI must execute the notebooks, but ${why} (.ci/run installs both)`);
      console.log(`      skipped: ${why}; \`npm run notebooks:setup\` installs the kernel (Jupyter: see notebooks/README.md)`);
      this.skip();
    }
    const out = tmpdir();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'notebooks.js'), 'execute', out], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr.slice(-4000)}`).to.equal(0);
    for (const f of NOTEBOOKS) {
      const outputs = read(path.join(out, f)).cells.flatMap((c) => c.outputs ?? []);
      expect(outputs.filter((o) => o.output_type === 'error'), f).to.deep.equal([]);
      expect(outputs.filter((o) => o.data?.['image/svg+xml'] !== undefined).length, `${f} draws a chart`).to.be.greaterThan(0);
    }
  });
});
