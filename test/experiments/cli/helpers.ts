import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../../experiments/cli/main';

/** Run the CLI in-process; capture output. */
export const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
    progress: { write: (t: string) => (err += t), isTTY: false },
  });
  return { code, out, err };
};

/** A fresh temporary directory. */
export const tmpdir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ringlab-test-'));
