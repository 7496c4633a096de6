import type { Config } from '../config';
import { connectMongo } from '../infrastructure/mongo/connection';
import { type Models, modelsOf } from '../infrastructure/mongo/models';
import { createLogger } from '../infrastructure/observability/logger';
import { CommandFailure } from './cli-errors';

/**
 * Runs an operator command against MongoDB directly (MONGO_URL), without the broker: the commands
 * that only read or create records need nothing else running. The connection is closed after.
 */
export async function withDatabase<T>(config: Config, work: (models: Models) => Promise<T>): Promise<T> {
  const logger = createLogger({ level: 'error', service: 'disparo-cli', silent: true });
  const mongo = await connectMongo(config.MONGO_URL, logger).catch((error: Error) => {
    throw new CommandFailure(`cannot reach MongoDB at MONGO_URL: ${error.message}`);
  });
  try {
    return await work(modelsOf(mongo));
  } finally {
    await mongo.close().catch(() => undefined);
  }
}
