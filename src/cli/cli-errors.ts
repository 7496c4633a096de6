/**
 * What `disparo` exits with, for scripts:
 *   0  done (a server command: stopped cleanly)
 *   1  the command failed (unreachable service, unknown id, refused request)
 *   2  bad usage (unknown command or option, missing argument)
 *  78  bad configuration (EX_CONFIG: an environment variable is missing or invalid; one line names it)
 * 130  interrupted by Ctrl-C while watching (`disparo progress`)
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78, interrupted: 130 } as const;

/** Bad usage: the message and the command's usage are printed, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected failure (not found, refused): one line, no stack, exit 1. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}

/** A command of the `disparo` program. */
export interface CliCommand {
  /** One line for `disparo help`. */
  summary: string;
  /** The full text of `disparo <command> --help`. */
  usage: string;
  /** Runs with the arguments after the command's name; resolves to the exit code (or never, for servers). */
  run(args: string[]): Promise<number>;
}
