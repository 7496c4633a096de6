import { ConfigError } from '../config';
import { type CliCommand, CommandFailure, EXIT, UsageError } from './cli-errors';
import { print, printError } from './terminal/safe-text';

export const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

/** The exit code of a command's error, after one line on stderr naming what went wrong. */
export function exitCodeOf(error: unknown, usage?: string): number {
  if (error instanceof ConfigError) {
    const unprovisioned = /\b(RABBITMQ_URL|MONGO_URL) is required/.test(error.message);
    printError(
      `disparo: ${error.message}${unprovisioned ? ' (no .infra.env found either: `npm start` or `npm test` provisions the services and writes it; or export the variables)' : ''}`,
    );
    return EXIT.config;
  }
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    printError(`disparo: ${(error as Error).message}${usage ? `\n\n${usage}` : ''}`);
    return EXIT.usage;
  }
  if (error instanceof CommandFailure) {
    printError(`disparo: ${error.message}`);
    return EXIT.failure;
  }
  printError(`disparo: failed: ${(error as Error)?.stack ?? String(error)}`);
  return EXIT.failure;
}

/**
 * Runs one command: `--help` prints its usage (exit 0) before anything is read or connected;
 * errors become exit codes. A server command never resolves (-1) and keeps the process alive.
 */
export async function runCommand(command: CliCommand, args: string[]): Promise<void> {
  if (wantsHelp(args)) {
    print(command.usage);
    process.exit(EXIT.ok);
  }
  let code: number;
  try {
    code = await command.run(args);
  } catch (error) {
    code = exitCodeOf(error, command.usage);
  }
  if (code >= 0) {
    process.exitCode = code;
    // Let stdout drain (pipes are asynchronous), then leave even if a library keeps a handle open.
    process.stdout.write('', () => process.exit(code));
  }
}
