import { publishEvent } from '../../../publishers/domain-event';
import { ContactsChanged } from '../../domain/events/contact-messages';
import { newCorrelation } from '../../domain/events/envelope';
import {
  addWebContacts,
  recordOnWhatsApp,
  type WebContactInput,
} from '../../infrastructure/gateways/whatsapp-web/web-contacts';
import { forgetSession, whatsappWebStore } from '../../infrastructure/gateways/whatsapp-web/web-store';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { PipelineDeps } from '../pipeline-deps';
import { haltConnection } from './connection-service';

/** Numbers asked of WhatsApp (sock.onWhatsApp) in one query. */
export const ON_WHATSAPP_BATCH = 50;

/**
 * The phone unlinked the device, or WhatsApp banned the number: the connection is halted, its
 * campaigns paused and an alert raised (logs, error reporter, metric), as the Cloud API's halts
 * are. A session WhatsApp will not accept again is forgotten: linking again needs a new QR.
 */
export async function haltWhatsAppWeb(
  deps: PipelineDeps & { errorReporter?: ErrorReporter },
  connectionId: string,
  reason: string,
  forget: boolean,
  code: string,
): Promise<void> {
  deps.metrics.gatewayError('whatsapp-web', code, 'halt-connection');
  await haltConnection(deps, connectionId, `whatsapp-web: ${reason}`);
  if (forget) await forgetSession(whatsappWebStore(deps.models.Connection.db), connectionId);
}

/**
 * Contacts WhatsApp delivered to the session (on linking, from history sync, and as they change):
 * stored in arrival order for listContacts to page over, the new numbers checked on WhatsApp in
 * batches (`check` is sock.onWhatsApp), then ContactsChanged starts an incremental sync. Returns
 * how many were new or changed.
 */
export async function receiveWebContacts(
  deps: PipelineDeps,
  connectionId: string,
  contacts: WebContactInput[],
  check: (phones: string[]) => Promise<Map<string, boolean>>,
): Promise<number> {
  const store = whatsappWebStore(deps.models.Connection.db);
  const changed = await addWebContacts(store, connectionId, contacts);
  if (changed.length === 0) return 0;
  const unchecked = changed.filter((contact) => contact.onWhatsApp === null).map((contact) => contact.phone);
  for (let start = 0; start < unchecked.length; start += ON_WHATSAPP_BATCH) {
    const batch = unchecked.slice(start, start + ON_WHATSAPP_BATCH);
    await recordOnWhatsApp(store, connectionId, await check(batch));
  }
  const connection = await deps.models.Connection.findById(connectionId, { companyId: 1, status: 1 }).lean();
  if (connection?.status === 'connected')
    await publishEvent(deps.publisher, ContactsChanged, { connectionId }, newCorrelation(String(connection.companyId)));
  return changed.length;
}
