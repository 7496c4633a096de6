import mongoose from 'mongoose';
import { errorFields, type Logger } from '../observability/logger';

/**
 * One mongoose connection per process (not the global default, so tests can open one per
 * database). Works with MongoDB and with MongoDB-wire servers such as FerretDB; code here uses
 * only features both support (no transactions, no change streams).
 */
export async function connectMongo(url: string, logger: Logger): Promise<mongoose.Connection> {
  const connection = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 20,
  });
  connection.on('disconnected', () => logger.warn('database disconnected'));
  connection.on('reconnected', () => logger.info('database reconnected'));
  connection.on('error', (error) => logger.error('database error', errorFields(error)));
  await connection.asPromise();
  logger.info('database connected', { database: connection.name });
  return connection;
}

export async function pingMongo(connection: mongoose.Connection): Promise<boolean> {
  try {
    if (connection.readyState !== mongoose.ConnectionStates.connected || !connection.db) return false;
    await connection.db.admin().ping();
    return true;
  } catch {
    return false;
  }
}
