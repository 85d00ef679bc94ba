import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { estimate, MAX_RUNS_WITHOUT_YES, needsConfirmation } from '../../../experiments/experiment/estimate';
import { cli, tmpdir } from '../cli/helpers';

describe('experiment: time estimate and --yes', function () {
  this.timeout(120_000);

  it('estimates from a rough per-run figure and says it is one', () => {
    expect(estimate(35, 2)).to.equal('estimated time about 2 s (a rough figure: ~0.1 s per run per worker)');
    expect(estimate(15, 2)).to.equal('estimated time under a second (a rough figure: ~0.1 s per run per worker)');
    expect(estimate(100_000, 2)).to.equal('estimated time about 83 min (a rough figure: ~0.1 s per run per worker)');
    expect(estimate(1_000_000, 1)).to.equal('estimated time about 27.8 h (a rough figure: ~0.1 s per run per worker)');
    expect(needsConfirmation(MAX_RUNS_WITHOUT_YES, 2)).to.equal(null);
    expect(needsConfirmation(MAX_RUNS_WITHOUT_YES + 1, 2)).to.contain('more than 20,000 runs need --yes');
  });

  it('refuses more than 20,000 runs without --yes, printing the estimate; --yes goes on', async () => {
    const dir = tmpdir();
    const spec = path.join(dir, 'big.json');
    const n = Array.from({ length: 201 }, (_, i) => i + 1);
    fs.writeFileSync(spec, JSON.stringify({ name: 'big', strategies: [{ name: 'native' }], workloads: [{ name: 'syscall', params: { n } }], profiles: ['modern'], repetitions: 100 }));
    const out = path.join(dir, 'out');
    const r = await cli('experiment', spec, '--out', out, '--workers', '2');
    expect(r.code).to.equal(2);
    expect(r.err).to.equal(
      'ringlab: big: this would run 20,100 runs on 2 workers, estimated time about 17 min (a rough figure: ~0.1 s per run per worker); ' +
        'more than 20,000 runs need --yes (or run a slice at a time with --shard k/N)\n',
    );
    expect(fs.existsSync(out)).to.equal(false);
    // with --yes it goes past the check, to the output directory (here one that cannot be created)
    fs.writeFileSync(path.join(dir, 'file'), '');
    const yes = await cli('experiment', spec, '--out', path.join(dir, 'file', 'out'), '--yes');
    expect(yes.err).to.contain('cannot create the output directory');
  });
});
