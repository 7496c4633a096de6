import { normalisePhone } from '../../domain/contacts/phone';
import { AppError } from '../../domain/errors';
import type { Cause } from '../../domain/events/envelope';
import { type WebPairingDoc, whatsappWebStore } from '../../infrastructure/gateways/whatsapp-web/web-store';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import type { PipelineDeps } from '../pipeline-deps';
import { connectionsOf, readsOf } from '../service-registry';

/**
 * A WhatsApp Web number's pairing: its status changes (pairing, connected, re-paired, cancelled)
 * belong to ConnectionService (connection-lifecycle.ts); this module keeps the pairing record's own
 * fields (the QR or code shown, the phone a code was asked for).
 */

const storeOf = (deps: PipelineDeps) => whatsappWebStore(deps.models.Connection.db);

async function ownedWebConnection(deps: PipelineDeps, companyId: string, connectionId: string): Promise<ConnectionDoc> {
  const connection = await connectionsOf(deps).find(companyId, connectionId);
  if (connection.gateway !== 'whatsapp-web')
    throw AppError.conflict(`connection ${String(connection._id)} is ${connection.gateway}, not whatsapp-web`);
  return connection;
}

/** A new whatsapp-web connection, in `pairing` until the phone links it (ConnectionService.startPairing). */
export function startWhatsAppWebPairing(deps: PipelineDeps, companyId: string, name: string): Promise<ConnectionDoc> {
  return connectionsOf(deps).startPairing(companyId, name);
}

/** The pairing record the API shows (QR or code), or 409 when the number is not being paired. */
export async function currentPairing(
  deps: PipelineDeps,
  companyId: string,
  connectionId: string,
): Promise<{ connection: ConnectionDoc; pairing: WebPairingDoc | null }> {
  const connection = await ownedWebConnection(deps, companyId, connectionId);
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
  const connection = await ownedWebConnection(deps, companyId, connectionId);
  if (connection.status !== 'pairing')
    throw AppError.conflict(`the connection is ${connection.status}; only a number being paired takes a code`);
  const parsed = normalisePhone(phone, await readsOf(deps).companyRegion(companyId));
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
  await connectionsOf(deps).cancelPairing(await ownedWebConnection(deps, companyId, connectionId));
}

/**
 * The socket opened with a linked session: pairing → connected (ConnectionService.pair); false when
 * the connection is no longer pairing.
 */
export function markWhatsAppWebConnected(
  deps: PipelineDeps,
  connectionId: string,
  cause: Cause | null,
): Promise<boolean> {
  return connectionsOf(deps).pair(connectionId, cause);
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
