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

/** A user-facing error: the message is printed as is, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
  }
}
