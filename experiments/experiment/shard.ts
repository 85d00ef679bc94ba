/**
 * Shards: the k-th of N deterministic slices of an experiment's matrix (runs whose index is
 * k-1 modulo N), numbered from 1. A cluster job array gives each task its shard: with
 * `--shard k/N`, or through the scheduler's own variables - Slurm's 1-based-able
 * SLURM_ARRAY_TASK_ID (k = ID - SLURM_ARRAY_TASK_MIN + 1, N = SLURM_ARRAY_TASK_COUNT), or
 * the 0-based index of a Kubernetes Indexed Job, AWS Batch or Google Batch (k = index + 1,
 * N from --shards, BATCH_TASK_COUNT or the spec's `shards`).
 * @category Runner
 */
import { left, right, type Either } from 'fp-ts/Either';

/** A slice of the matrix. */
export interface Shard {
  readonly k: number;
  readonly n: number;
}

/** A shard and where it came from (recorded in experiment.json). */
export interface ResolvedShard {
  readonly shard: Shard;
  /** `--shard`, or the variables read, with their values */
  readonly source: string;
}

/** 0-based task indices of schedulers, in the order they are looked for. */
const INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX', 'BATCH_TASK_INDEX'] as const;

const ENV_ROUTE = `for a scheduler's 0-based task index leave out --shard: ringlab reads SLURM_ARRAY_TASK_ID (Slurm), or ${INDEX_VARIABLES.join(', ')} with --shards N`;

/** Parse `--shard k/N` (1 <= k <= N). */
export const parseShard = (s: string): Either<string, Shard> => {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) return left(`--shard expects k/N with 1 <= k <= N (e.g. 2/8), got '${s}'`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n >= 1 && k === 0) return left(`--shard ${s}: shards are numbered from 1 (1/${n} to ${n}/${n}); ${ENV_ROUTE}`);
  if (n < 1 || k < 1 || k > n) return left(`--shard ${s}: k must be between 1 and N (e.g. 1/${Math.max(n, 1)} to ${Math.max(n, 1)}/${Math.max(n, 1)})`);
  return right({ k, n });
};

const integer = (env: NodeJS.ProcessEnv, name: string): Either<string, number | undefined> => {
  const v = env[name];
  if (v === undefined || v === '') return right(undefined);
  return /^\d+$/.test(v.trim()) ? right(Number(v)) : left(`${name}=${v} is not a non-negative integer`);
};

/** Settings besides the environment that can give the number of shards. */
export interface ShardCounts {
  /** --shards N */
  readonly shards?: number;
  /** the spec's `shards` */
  readonly specShards?: number;
}

const slurm = (env: NodeJS.ProcessEnv, counts: ShardCounts): Either<string, ResolvedShard> => {
  const read = (name: string) => integer(env, name);
  const id = read('SLURM_ARRAY_TASK_ID');
  const min = read('SLURM_ARRAY_TASK_MIN');
  const count = read('SLURM_ARRAY_TASK_COUNT');
  const step = read('SLURM_ARRAY_TASK_STEP');
  for (const e of [id, min, count, step]) if (e._tag === 'Left') return e;
  const [i, lo, n, by] = [id, min, count, step].map((e) => (e._tag === 'Right' ? e.right : undefined));
  if (lo === undefined || n === undefined) return left(`SLURM_ARRAY_TASK_ID=${i} is set but SLURM_ARRAY_TASK_MIN or SLURM_ARRAY_TASK_COUNT is not: run in a Slurm job array (sbatch --array=...), or give --shard k/N`);
  const stride = by ?? 1;
  if ((i! - lo) % stride !== 0) return left(`SLURM_ARRAY_TASK_ID=${i} is not SLURM_ARRAY_TASK_MIN=${lo} plus a multiple of SLURM_ARRAY_TASK_STEP=${stride}`);
  const k = (i! - lo) / stride + 1;
  if (k < 1 || k > n) return left(`SLURM_ARRAY_TASK_ID=${i} gives shard ${k} of SLURM_ARRAY_TASK_COUNT=${n}: use a contiguous array (--array=0-${n - 1} or 1-${n}), or give --shard k/N`);
  if (counts.shards !== undefined && counts.shards !== n) return left(`--shards ${counts.shards} disagrees with SLURM_ARRAY_TASK_COUNT=${n}; leave out --shards`);
  return right({ shard: { k, n }, source: `SLURM_ARRAY_TASK_ID=${i} (SLURM_ARRAY_TASK_MIN=${lo}, SLURM_ARRAY_TASK_COUNT=${n}${stride !== 1 ? `, SLURM_ARRAY_TASK_STEP=${stride}` : ''})` });
};

/**
 * The shard a scheduler's variables give this task, or null when none is set. With a
 * 0-based index, N comes from --shards, then BATCH_TASK_COUNT, then the spec.
 */
export const shardFromEnvironment = (env: NodeJS.ProcessEnv, counts: ShardCounts): Either<string, ResolvedShard | null> => {
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== '') return slurm(env, counts);
  const name = INDEX_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
  if (name === undefined) {
    return counts.shards !== undefined ? left(`--shards ${counts.shards} needs this task's index from a scheduler (SLURM_ARRAY_TASK_ID, ${INDEX_VARIABLES.join(', ')}), and none is set; to pick a shard by hand give --shard k/N`) : right(null);
  }
  const index = integer(env, name);
  if (index._tag === 'Left') return index;
  const taskCount = integer(env, 'BATCH_TASK_COUNT');
  if (taskCount._tag === 'Left') return taskCount;
  const [n, from] =
    counts.shards !== undefined ? [counts.shards, '--shards'] : taskCount.right !== undefined ? [taskCount.right, `BATCH_TASK_COUNT=${taskCount.right}`] : counts.specShards !== undefined ? [counts.specShards, 'the spec\'s "shards"'] : [undefined, ''];
  if (n === undefined) return left(`${name}=${index.right} gives this task's shard (${index.right! + 1}), but not how many shards there are: pass --shards N (the job's task count) or set "shards" in the spec`);
  if (!Number.isInteger(n) || n < 1) return left(`${from}: the number of shards must be an integer >= 1, got ${n}`);
  const k = index.right! + 1;
  if (k > n) return left(`${name}=${index.right} is beyond ${n} shards (from ${from}): indices run from 0 to ${n - 1}`);
  return right({ shard: { k, n }, source: `${name}=${index.right} (shards from ${from})` });
};
