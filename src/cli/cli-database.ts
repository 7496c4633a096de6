import type { PipelineDeps } from '../application/pipeline-deps';
import type { Config } from '../config';
import { connectMongo } from '../infrastructure/mongo/connection';
import { modelsOf } from '../infrastructure/mongo/models';
import { createLogger } from '../infrastructure/observability/logger';
import { CommandFailure } from './cli-errors';

/** What a command that only reads or creates records gets: the application's services take it. */
export type Database = Pick<PipelineDeps, 'models'>;

/**
 * Runs an operator command against MongoDB directly (MONGO_URL), without the broker: the commands
 * that only read or create records need nothing else running. The connection is closed after.
 */
export async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>): Promise<T> {
  const logger = createLogger({ level: 'error', service: 'disparo-cli', silent: true });
  const mongo = await connectMongo(config.MONGO_URL, logger).catch((error: Error) => {
    throw new CommandFailure(`cannot reach MongoDB at MONGO_URL: ${error.message}`);
  });
  try {
    return await work({ models: modelsOf(mongo) });
  } finally {
    await mongo.close().catch(() => undefined);
  }
}
