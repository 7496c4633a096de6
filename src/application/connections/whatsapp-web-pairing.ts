import type { Cause } from '../../domain/events/envelope';
import type { WebPairingDoc } from '../../infrastructure/gateways/whatsapp-web/web-store';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import type { PipelineDeps } from '../pipeline-deps';
import { connectionsOf, readsOf } from '../service-registry';

/**
 * A WhatsApp Web number's pairing: its status changes (pairing, connected, re-paired, cancelled)
 * and its pairing record (the QR or code shown, the phone a code was asked for) belong to
 * ConnectionService (connection-lifecycle.ts); these are the names entry points call.
 */

/** A new whatsapp-web connection, in `pairing` until the phone links it (ConnectionService.startPairing). */
export function startWhatsAppWebPairing(deps: PipelineDeps, companyId: string, name: string): Promise<ConnectionDoc> {
  return connectionsOf(deps).startPairing(companyId, name);
}

/** The pairing record the API shows (QR or code), or 409 when the number is not a whatsapp-web one. */
export function currentPairing(
  deps: PipelineDeps,
  companyId: string,
  connectionId: string,
): Promise<{ connection: ConnectionDoc; pairing: WebPairingDoc | null }> {
  return connectionsOf(deps).pairingOf(companyId, connectionId);
}

/**
 * Asks to link with an 8-character code typed on the phone instead of scanning the QR. The
 * process holding the socket asks WhatsApp for the code and stores it on the pairing record.
 */
export function requestPairingCode(
  deps: PipelineDeps,
  companyId: string,
  connectionId: string,
  phone: string,
): Promise<WebPairingDoc> {
  return connectionsOf(deps).requestPairingCode(companyId, connectionId, phone, (id) =>
    readsOf(deps).companyRegion(id),
  );
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
  const connections = connectionsOf(deps);
  await connections.cancelPairing(await connections.findWhatsAppWeb(companyId, connectionId));
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
export function recordPairingQr(deps: PipelineDeps, connectionId: string, qr: string, holder: string): Promise<void> {
  return connectionsOf(deps).recordPairingQr(connectionId, qr, holder);
}

export function recordPairingCode(
  deps: PipelineDeps,
  connectionId: string,
  phone: string,
  outcome: { code: string } | { error: string },
): Promise<void> {
  return connectionsOf(deps).recordPairingCode(connectionId, phone, outcome);
}
