import type { Connection } from 'mongoose';
import type { GatewayAddressBooks } from '../../application/contacts/address-book-repository';
import { type SandboxContactSeed, seedSandboxContacts } from '../gateways/sandbox/sandbox-contacts';
import { sandboxStore } from '../gateways/sandbox/sandbox-store';
import { addWebContacts, recordOnWhatsApp, type WebContactInput } from '../gateways/whatsapp-web/web-contacts';
import { whatsappWebStore } from '../gateways/whatsapp-web/web-store';

/** The gateways' address books in their stores on the same database (the sandbox's, WhatsApp Web's). */
export class MongoGatewayAddressBooks implements GatewayAddressBooks {
  constructor(private readonly db: Connection) {}

  seedSandbox(connectionId: string, contacts: SandboxContactSeed[], region: string): Promise<number> {
    return seedSandboxContacts(sandboxStore(this.db), connectionId, contacts, region);
  }

  addWebContacts(
    connectionId: string,
    contacts: WebContactInput[],
  ): Promise<Array<{ phone: string; onWhatsApp: boolean | null }>> {
    return addWebContacts(whatsappWebStore(this.db), connectionId, contacts);
  }

  recordOnWhatsApp(connectionId: string, answers: Map<string, boolean>): Promise<void> {
    return recordOnWhatsApp(whatsappWebStore(this.db), connectionId, answers);
  }
}
