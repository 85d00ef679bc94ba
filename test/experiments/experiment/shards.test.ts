import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, isRight } from 'fp-ts/Either';
import { parseShard, shardFromEnvironment } from '../../../experiments/experiment/shard';
import { cli, tmpdir } from '../cli/helpers';

const SPEC = {
  name: 'sharded',
  strategies: [{ name: 'native' }, { name: 'hardware-assisted' }, { name: 'paravirt' }],
  workloads: [{ name: 'syscall', params: { n: [5, 10] } }, { name: 'in', params: { n: 5 } }],
  profiles: ['netburst-2006'],
  output: { charts: [] },
};
const SCHEDULER_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_STEP', 'JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX', 'BATCH_TASK_INDEX', 'BATCH_TASK_COUNT'];

const rowsOf = (dir: string) => fs.readFileSync(path.join(dir, 'results.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'experiment.json'), 'utf8'));

/** Run the CLI with scheduler variables set in the process environment, as a job array task would. */
const asTask = async (env: Record<string, string>, ...argv: string[]) => {
  const saved = Object.fromEntries(SCHEDULER_VARIABLES.map((v) => [v, process.env[v]]));
  for (const v of SCHEDULER_VARIABLES) delete process.env[v];
  Object.assign(process.env, env);
  try {
    return await cli(...argv);
  } finally {
    for (const [v, value] of Object.entries(saved)) if (value === undefined) delete process.env[v];
    else process.env[v] = value;
  }
};

describe('shards from cluster schedulers', function () {
  this.timeout(300_000);
  let dir: string;
  let spec: string;
  beforeEach(() => {
    dir = tmpdir();
    spec = path.join(dir, 'sharded.json');
    fs.writeFileSync(spec, JSON.stringify(SPEC));
  });

  it('a Slurm array (--array=0-2) runs one shard per task, recorded with the variables used, and merges into the whole matrix', async () => {
    const dirs: string[] = [];
    for (const id of [0, 1, 2]) {
      const out = path.join(dir, `slurm-${id}`);
      dirs.push(out);
      const r = await asTask({ SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '2', SLURM_ARRAY_TASK_COUNT: '3' }, 'experiment', spec, '--out', out, '--workers', '1');
      expect(r.code, r.err).to.equal(0);
      expect(r.err).to.contain(`in shard ${id + 1}/3 (from SLURM_ARRAY_TASK_ID=${id}`);
      expect(record(out).shard).to.deep.equal({ k: id + 1, n: 3 });
      expect(record(out).shardSource).to.equal(`SLURM_ARRAY_TASK_ID=${id} (SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_COUNT=3)`);
      expect(rowsOf(out).every((row) => row.index % 3 === id)).to.equal(true);
    }
    const merged = await cli('merge', ...dirs, '--out', path.join(dir, 'all'));
    expect(merged.code, merged.err).to.equal(0);
    expect(rowsOf(path.join(dir, 'all')).map((r) => r.index)).to.deep.equal([...Array(9).keys()]);
  });

  it('a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based) with --shards, or N from the spec; AWS and Google Batch alike', async () => {
    const dirs: string[] = [];
    for (const index of [0, 1]) {
      const out = path.join(dir, `k8s-${index}`);
      dirs.push(out);
      const r = await asTask({ JOB_COMPLETION_INDEX: String(index) }, 'experiment', spec, '--shards', '2', '--out', out, '--workers', '1');
      expect(r.code, r.err).to.equal(0);
      expect(record(out).shard).to.deep.equal({ k: index + 1, n: 2 });
      expect(record(out).shardSource).to.equal(`JOB_COMPLETION_INDEX=${index} (shards from --shards)`);
    }
    const merged = await cli('merge', ...dirs, '--out', path.join(dir, 'all'));
    expect(merged.code, merged.err).to.equal(0);
    expect(merged.out).to.contain('merged 9 result(s) from 2 directories');
    // N from the spec; the spec's shards do not change which experiment it is
    const withShards = path.join(dir, 'with-shards.json');
    fs.writeFileSync(withShards, JSON.stringify({ ...SPEC, shards: 3 }));
    const aws = await asTask({ AWS_BATCH_JOB_ARRAY_INDEX: '2' }, 'experiment', withShards, '--out', path.join(dir, 'aws'), '--workers', '1');
    expect(aws.code, aws.err).to.equal(0);
    expect(record(path.join(dir, 'aws')).shardSource).to.equal('AWS_BATCH_JOB_ARRAY_INDEX=2 (shards from the spec\'s "shards")');
    expect(record(path.join(dir, 'aws')).specHash).to.equal(record(dirs[0]).specHash);
    const google = await asTask({ BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '4' }, 'experiment', spec, '--out', path.join(dir, 'gcp'), '--workers', '1');
    expect(google.code, google.err).to.equal(0);
    expect(record(path.join(dir, 'gcp')).shard).to.deep.equal({ k: 1, n: 4 });
  });

  it('explains what is missing or wrong, and --shard 0/N points to the variables', async () => {
    const noCount = await asTask({ JOB_COMPLETION_INDEX: '1' }, 'experiment', spec, '--out', path.join(dir, 'x'));
    expect(noCount.code).to.equal(2);
    expect(noCount.err).to.contain("JOB_COMPLETION_INDEX=1 gives this task's shard (2), but not how many shards there are: pass --shards N");
    const beyond = await asTask({ JOB_COMPLETION_INDEX: '4' }, 'experiment', spec, '--shards', '4', '--out', path.join(dir, 'x'));
    expect(beyond.err).to.contain('JOB_COMPLETION_INDEX=4 is beyond 4 shards');
    const alone = await asTask({}, 'experiment', spec, '--shards', '4', '--out', path.join(dir, 'x'));
    expect(alone.err).to.contain('--shards 4 needs this task\'s index from a scheduler');
    const zero = await asTask({}, 'experiment', spec, '--shard', '0/4', '--out', path.join(dir, 'x'));
    expect(zero.code).to.equal(2);
    expect(zero.err).to.contain('shards are numbered from 1 (1/4 to 4/4)').and.contain('leave out --shard').and.contain('JOB_COMPLETION_INDEX').and.contain('SLURM_ARRAY_TASK_ID');
    // --shard wins over the environment
    const explicit = await asTask({ JOB_COMPLETION_INDEX: '0' }, 'experiment', spec, '--shard', '2/2', '--out', path.join(dir, 'explicit'), '--workers', '1');
    expect(explicit.code, explicit.err).to.equal(0);
    expect(record(path.join(dir, 'explicit'))).to.deep.include({ shard: { k: 2, n: 2 }, shardSource: '--shard' });
    expect(fs.existsSync(path.join(dir, 'x'))).to.equal(false);
  });

  it('reads Slurm arrays with an offset or a step, and refuses gaps', () => {
    const ok = shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '4' }, {});
    expect(isRight(ok) && ok.right?.shard).to.deep.equal({ k: 3, n: 4 });
    const stepped = shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_STEP: '2' }, {});
    expect(isRight(stepped) && stepped.right?.shard).to.deep.equal({ k: 4, n: 4 });
    const gap = shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' }, {});
    expect(isLeft(gap) && gap.left).to.contain('use a contiguous array');
    const partial = shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '1' }, {});
    expect(isLeft(partial) && partial.left).to.contain('SLURM_ARRAY_TASK_MIN or SLURM_ARRAY_TASK_COUNT is not');
    expect(shardFromEnvironment({}, {})).to.deep.equal({ _tag: 'Right', right: null });
    expect(parseShard('3/8')).to.deep.equal({ _tag: 'Right', right: { k: 3, n: 8 } });
  });
});
