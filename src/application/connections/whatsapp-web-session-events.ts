import type { WebContactInput } from '../../infrastructure/gateways/whatsapp-web/web-contacts';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { PipelineDeps } from '../pipeline-deps';
import { addressBooksOf, connectionsOf } from '../service-registry';
import { haltConnection } from './connection-service';

export { ON_WHATSAPP_BATCH } from '../contacts/address-book-service';

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
  if (forget) await connectionsOf(deps).forgetSession(connectionId);
}

/**
 * Contacts WhatsApp delivered to the session (on linking, from history sync, and as they change):
 * stored for listContacts to page over, the new numbers checked on WhatsApp, then ContactsChanged
 * starts an incremental sync (AddressBookService.receiveWebContacts). Returns how many were new or changed.
 */
export function receiveWebContacts(
  deps: PipelineDeps,
  connectionId: string,
  contacts: WebContactInput[],
  check: (phones: string[]) => Promise<Map<string, boolean>>,
): Promise<number> {
  return addressBooksOf(deps).receiveWebContacts(connectionId, contacts, check);
}
