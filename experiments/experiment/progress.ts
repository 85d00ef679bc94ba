/**
 * Progress of a long run: a bar redrawn in place on a terminal, plain periodic lines
 * otherwise (logs, CI, pipes).
 * @category Runner
 */

/** Where progress is written: a terminal gets a bar, anything else plain lines. */
export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A progress reporter. */
export interface Progress {
  tick(note: string): void;
  done(): void;
}

const fmt = (s: number): string => (s < 90 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);

/** A progress reporter for `total` steps writing to `stream`. */
export const progress = (total: number, stream: ProgressStream = process.stderr, everyMs = 5000): Progress => {
  const start = Date.now();
  let n = 0;
  let lastLine = 0;
  const tty = stream.isTTY === true;
  const status = () => {
    const elapsed = (Date.now() - start) / 1000;
    const eta = n > 0 ? (elapsed / n) * (total - n) : 0;
    return `${n}/${total} (${total ? Math.round((100 * n) / total) : 100}%) elapsed ${fmt(elapsed)}${n < total ? `, about ${fmt(eta)} left` : ''}`;
  };
  return {
    tick(note: string) {
      n++;
      if (tty) {
        const width = 30;
        const filled = total ? Math.round((width * n) / total) : width;
        const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${status()} ${note}`;
        stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1).padEnd((stream.columns ?? 120) - 1)}`);
      } else if (Date.now() - lastLine >= everyMs || n === total) {
        lastLine = Date.now();
        stream.write(`progress: ${status()}\n`);
      }
    },
    done() {
      if (tty) stream.write('\n');
    },
  };
};
