import { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import { connectionStatusesAllowing, connectionTarget } from '../../domain/connections/connection-status';
import { normalisePhone } from '../../domain/contacts/phone';
import { AppError } from '../../domain/errors';
import { ConnectionConnected } from '../../domain/events/contact-messages';
import { type Cause, newCorrelation } from '../../domain/events/envelope';
import {
  forgetSession,
  type WebPairingDoc,
  whatsappWebStore,
} from '../../infrastructure/gateways/whatsapp-web/web-store';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import { declareLane, type PipelineDeps } from '../pipeline-deps';

const storeOf = (deps: PipelineDeps) => whatsappWebStore(deps.models.Connection.db);

async function ownedConnection(deps: PipelineDeps, companyId: string, connectionId: string): Promise<ConnectionDoc> {
  const connection = (await deps.models.Connection.findById(connectionId).lean()) as ConnectionDoc | null;
  if (!connection || String(connection.companyId) !== companyId) throw AppError.notFound('connection');
  return connection;
}

function assertWeb(connection: ConnectionDoc): void {
  if (connection.gateway !== 'whatsapp-web')
    throw AppError.conflict(`connection ${String(connection._id)} is ${connection.gateway}, not whatsapp-web`);
}

/**
 * A new whatsapp-web connection: stored in `pairing`, its lane declared, an empty pairing record.
 * A dispatch worker takes its socket (lease) and shows QRs until the phone links it; nothing is
 * synced or sent before that (markWhatsAppWebConnected).
 */
export async function startWhatsAppWebPairing(
  deps: PipelineDeps,
  companyId: string,
  name: string,
): Promise<ConnectionDoc> {
  const connection = await deps.models.Connection.create({
    companyId: new Types.ObjectId(companyId),
    name,
    gateway: 'whatsapp-web',
    status: 'pairing',
    cloudApi: null,
  });
  const connectionId = String(connection._id);
  try {
    await storeOf(deps).Pairing.create({ _id: connectionId });
    await declareLane(deps, connectionId);
  } catch (error) {
    // Nothing half-created stays behind.
    await deps.models.Connection.deleteOne({ _id: connection._id });
    await forgetSession(storeOf(deps), connectionId);
    throw error;
  }
  deps.logger.info('WhatsApp Web pairing started', { connectionId, companyId });
  return connection.toObject() as ConnectionDoc;
}

/** The pairing record the API shows (QR or code), or 409 when the number is not being paired. */
export async function currentPairing(
  deps: PipelineDeps,
  companyId: string,
  connectionId: string,
): Promise<{ connection: ConnectionDoc; pairing: WebPairingDoc | null }> {
  const connection = await ownedConnection(deps, companyId, connectionId);
  assertWeb(connection);
  const pairing = await storeOf(deps).Pairing.findById(connectionId).lean();
  return { connection, pairing };
}

/**
 * Asks to link with an 8-character code typed on the phone instead of scanning the QR. The
 * process holding the socket asks WhatsApp for the code and stores it on the pairing record.
 */
export async function requestPairingCode(
  deps: PipelineDeps,
  companyId: string,
  connectionId: string,
  phone: string,
): Promise<WebPairingDoc> {
  const connection = await ownedConnection(deps, companyId, connectionId);
  assertWeb(connection);
  if (connection.status !== 'pairing')
    throw AppError.conflict(`the connection is ${connection.status}; only a number being paired takes a code`);
  const company = await deps.models.Company.findById(companyId, { defaultRegion: 1 }).lean();
  const parsed = normalisePhone(phone, company?.defaultRegion ?? 'BR');
  if (!parsed.valid)
    throw AppError.invalid('the request body is invalid', [{ field: 'body.phone', message: parsed.reason }]);
  const digits = parsed.e164.slice(1);
  const pairing = await storeOf(deps)
    .Pairing.findOneAndUpdate(
      { _id: connectionId },
      { $set: { phone: digits, code: null, codeAt: null, error: null } },
      { upsert: true, returnDocument: 'after' },
    )
    .lean();
  return pairing!;
}

/**
 * Cancels a pairing that has not linked yet: the connection, its pairing record and any session
 * secret are removed; the process holding the socket closes it at its next look.
 */
export async function cancelWhatsAppWebPairing(
  deps: PipelineDeps,
  companyId: string,
  connectionId: string,
): Promise<void> {
  const connection = await ownedConnection(deps, companyId, connectionId);
  assertWeb(connection);
  const removed = await deps.models.Connection.deleteOne({ _id: connection._id, status: 'pairing' });
  if (removed.deletedCount !== 1)
    throw AppError.conflict(`the connection is ${connection.status}; disconnect it instead`);
  await forgetSession(storeOf(deps), connectionId);
  deps.logger.info('WhatsApp Web pairing cancelled', { connectionId, companyId });
}

/** Connect again a disconnected or halted whatsapp-web number: it goes back to pairing (a QR if its session is gone). */
export async function repairWhatsAppWeb(deps: PipelineDeps, connection: ConnectionDoc): Promise<ConnectionDoc | null> {
  const updated = await deps.models.Connection.findOneAndUpdate(
    { _id: connection._id, status: { $in: connectionStatusesAllowing('repair') } },
    { $set: { status: connectionTarget('repair'), haltedReason: null, haltedAt: null } },
    { returnDocument: 'after' },
  ).lean();
  if (updated)
    await storeOf(deps).Pairing.updateOne(
      { _id: String(connection._id) },
      { $setOnInsert: { qrCount: 0 } },
      { upsert: true },
    );
  return updated as ConnectionDoc | null;
}

/**
 * The socket opened with a linked session: a number in `pairing` becomes `connected`, its pairing
 * record is cleared, and ConnectionConnected starts its first contact sync. Returns false when the
 * connection is no longer pairing (already connected, or disconnected meanwhile).
 */
export async function markWhatsAppWebConnected(
  deps: PipelineDeps,
  connectionId: string,
  cause: Cause | null,
): Promise<boolean> {
  const updated = await deps.models.Connection.findOneAndUpdate(
    { _id: connectionId, status: { $in: connectionStatusesAllowing('pair') } },
    { $set: { status: connectionTarget('pair'), haltedReason: null, haltedAt: null } },
    { returnDocument: 'after' },
  ).lean();
  if (!updated) return false;
  await storeOf(deps).Pairing.updateOne(
    { _id: connectionId },
    { $set: { qr: null, qrAt: null, phone: null, code: null, codeAt: null, error: null } },
  );
  await publishEvent(
    deps.publisher,
    ConnectionConnected,
    { connectionId },
    cause ?? newCorrelation(String(updated.companyId)),
  );
  deps.logger.info('WhatsApp Web number linked', { connectionId, companyId: String(updated.companyId) });
  return true;
}

/** Records the QR WhatsApp just issued (they rotate about every 20 s until one is scanned). */
export async function recordPairingQr(
  deps: PipelineDeps,
  connectionId: string,
  qr: string,
  holder: string,
): Promise<void> {
  await storeOf(deps).Pairing.updateOne(
    { _id: connectionId },
    { $set: { qr, qrAt: new Date(deps.now()), holder }, $inc: { qrCount: 1 } },
    { upsert: true },
  );
}

export async function recordPairingCode(
  deps: PipelineDeps,
  connectionId: string,
  phone: string,
  outcome: { code: string } | { error: string },
): Promise<void> {
  await storeOf(deps).Pairing.updateOne(
    { _id: connectionId, phone },
    'code' in outcome
      ? { $set: { code: outcome.code, codeAt: new Date(deps.now()), error: null } }
      : { $set: { error: outcome.error, phone: null } },
  );
}
