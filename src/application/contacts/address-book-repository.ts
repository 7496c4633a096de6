import type { SandboxContactSeed } from '../../infrastructure/gateways/sandbox/sandbox-contacts';
import type { WebContactInput } from '../../infrastructure/gateways/whatsapp-web/web-contacts';

/**
 * The address books the gateways keep of their own (what a contact sync then reads through the
 * gateway): the simulated number's, seeded by the sandbox API, and a WhatsApp Web session's, filled
 * as WhatsApp delivers contacts to it.
 */
export interface GatewayAddressBooks {
  /** Seeds (or updates) the simulated number's address book, one entry per phone as written; how many it stored. */
  seedSandbox(connectionId: string, contacts: SandboxContactSeed[], region: string): Promise<number>;
  /** Stores contacts a WhatsApp Web session received: the entries that are new or changed. */
  addWebContacts(
    connectionId: string,
    contacts: WebContactInput[],
  ): Promise<Array<{ phone: string; onWhatsApp: boolean | null }>>;
  /** Records WhatsApp's answer to "is this number on WhatsApp?" for stored WhatsApp Web contacts. */
  recordOnWhatsApp(connectionId: string, answers: Map<string, boolean>): Promise<void>;
}
