/**
 * Errors the CLI reports to the user as one clear message and a non-zero exit code.
 * @category Common
 */

/** Exit codes of the `ringlab` command. */
export const ExitCode = {
  ok: 0,
  /** the guest or the experiment failed (budget, triple fault, not equivalent ...) */
  failure: 1,
  /** bad input: usage, unreadable files, malformed assembly or specs, unknown names */
  usage: 2,
  /** a bug in ringlab itself */
  internal: 70,
} as const;

/** What each exit code means, for `--help`. */
const MEANINGS: Record<keyof typeof ExitCode, string> = {
  ok: 'success',
  failure: 'the guest or the experiment failed: not equivalent to native, out of budget, a run that errored',
  usage: 'bad input: usage, unreadable or malformed files and specs, unknown names or values',
  internal: 'an internal error (a bug in ringlab: please report it, with RINGLAB_DEBUG=1 for the stack trace)',
};

/** The exit codes as a help section. */
export const exitCodeHelp = (): string =>
  ['Exit codes:', ...(Object.keys(ExitCode) as (keyof typeof ExitCode)[]).map((k) => `  ${String(ExitCode[k]).padStart(2)}  ${MEANINGS[k]}`)].join('\n');

/** A user-facing error: the message is printed as is, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
  }
}
