/**
 * The layers point one way (DESIGN.md, "Time, platform and layers"): core <- strategies
 * (per-VM strategies, then strategies/host, which the per-VM strategies never import) <-
 * experiments. Inside core the folders are ranked from the ISA up to the guest; a folder
 * may import its own rank and below. Every relative import of every source file is checked.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

/** Rank of each folder of core: imports go to the same rank or lower. */
const CORE_RANK: Readonly<Record<string, number>> = {
  isa: 0,
  codec: 0,
  files: 0,
  asm: 1,
  vmx: 1,
  mmu: 2,
  devices: 2,
  cost: 2,
  events: 3,
  cpu: 4,
  platform: 4,
  host: 4,
  guest: 5,
};

/** The layer of a source path: [top-level folder, rank]. */
const layerOf = (rel: string): { top: string; rank: number; host: boolean } | null => {
  const parts = rel.split(path.sep);
  const top = parts[0];
  if (top === 'core') {
    const rank = CORE_RANK[parts[1]];
    if (rank === undefined) throw new Error(`core/${parts[1]} has no rank in test/layers.test.ts`);
    return { top, rank, host: false };
  }
  if (top === 'strategies') return { top, rank: 10, host: parts[1] === 'host' };
  if (top === 'experiments') return { top, rank: 20, host: false };
  return null;
};

const sources = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|js)$/.test(e.name) ? [p] : [];
  });

const importsOf = (file: string): string[] => {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
};

/** The imports (source path -> imported path, both relative to the root) that go against the layers. */
const violationsOf = (edges: readonly (readonly [string, string])[]): string[] => {
  const out: string[] = [];
  for (const [file, target] of edges) {
    const from = layerOf(file);
    if (!from) continue;
    const to = layerOf(target);
    const line = `${file} -> ${target}`;
    if (!to) {
      // experiments may read package.json, and the bench times the launcher (tools/)
      const allowed = from.top === 'experiments' && (target === 'package.json' || target.startsWith(`tools${path.sep}`));
      if (!allowed) out.push(`${line} (outside the source layers)`);
    }
    else if (to.rank > from.rank) out.push(`${line} (up from ${from.top} rank ${from.rank} to rank ${to.rank})`);
    else if (from.top === 'strategies' && !from.host && to.host) out.push(`${line} (a per-VM strategy imports the host layer)`);
  }
  return out;
};

/** Every relative import of every source file, as (file, imported path). */
const edges = (): [string, string][] =>
  ['core', 'strategies', 'experiments'].flatMap((top) =>
    sources(path.join(ROOT, top)).flatMap((file) =>
      importsOf(file).map((spec): [string, string] => [path.relative(ROOT, file), path.relative(ROOT, path.resolve(path.dirname(file), spec))]),
    ),
  );

describe('architecture: layers', () => {
  it('no source file imports against the layers', () => {
    const all = edges();
    expect(all.length).to.be.greaterThan(300);
    expect(violationsOf(all)).to.deep.equal([]);
  });

  it('the imports the architecture review found are violations', () => {
    const p = (...s: string[]) => path.join(...s);
    expect(
      violationsOf([
        [p('core', 'cost', 'profile.ts'), p('experiments', 'codec', 'report.ts')],
        [p('core', 'mmu', 'mmu.ts'), p('core', 'cpu', 'fault.ts')],
        [p('core', 'isa', 'demonstrate.ts'), p('core', 'cpu', 'machine.ts')],
        [p('strategies', 'paravirt', 'hypervisor.ts'), p('strategies', 'host', 'scheduler.ts')],
        [p('strategies', 'host', 'loop.ts'), p('strategies', 'paravirt', 'paravirt.ts')],
        [p('experiments', 'run', 'run-one.ts'), p('core', 'cpu', 'cpu.ts')],
      ]).length,
    ).to.equal(4);
  });
});
