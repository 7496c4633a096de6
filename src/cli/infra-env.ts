import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A new terminal has none of the provisioned variables: when neither RABBITMQ_URL nor MONGO_URL is
 * set, the command line reads them from the repository's `.infra.env` (written by `npm start` /
 * `npm test` when they provision), so `npx disparo lanes` works as the README writes it. An
 * environment that sets either is the caller's choice and is left alone (no mixing of the two).
 * DISPARO_INFRA_ENV names another file.
 */
export function loadInfraEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RABBITMQ_URL || env.MONGO_URL) return null;
  const file = env.DISPARO_INFRA_ENV || infraEnvOfRepository();
  if (!file || !existsSync(file)) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined && env[match[1]] === undefined) env[match[1]] = unquote(match[2].trim());
  }
  return file;
}

/** `.infra.env` beside the package.json of this checkout (src/cli and dist/src/cli alike). */
function infraEnvOfRepository(): string | null {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'cli'))) return join(dir, '.infra.env');
    if (dirname(dir) === dir) return null;
  }
}

const unquote = (value: string) => value.replace(/^(['"])(.*)\1$/, '$2');
