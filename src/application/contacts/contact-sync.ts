import { PermanentError } from '../../domain/errors';
import type { GatewayProvider } from '../../infrastructure/gateways/gateway-provider';
import { UnknownConnectionError } from '../../infrastructure/gateways/gateway-provider';
import type { Logger } from '../../infrastructure/observability/logger';
import type { PipelineDeps } from '../pipeline-deps';
import { contactSyncsOf } from '../service-registry';
import type { ContactSyncTrigger } from './contact-sync-service';

export type { ContactSyncTrigger } from './contact-sync-service';

export interface ContactSyncDeps extends PipelineDeps {
  gateways: GatewayProvider;
}

/**
 * Runs a contact sync of the connection's address book (ContactSyncService.run). A connection
 * that no longer exists is a permanent failure (the message is not retried).
 */
export async function syncContacts(deps: ContactSyncDeps, message: ContactSyncTrigger, logger: Logger): Promise<void> {
  const source = await deps.gateways.forConnection(message.payload.connectionId).catch((error: unknown) => {
    throw error instanceof UnknownConnectionError ? new PermanentError(error.message) : error;
  });
  await contactSyncsOf(deps).run(message, source, logger);
}
