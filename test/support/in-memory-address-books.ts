import type { GatewayAddressBooks } from '../../src/application/contacts/address-book-repository';
import type { SandboxContactSeed } from '../../src/infrastructure/gateways/sandbox/sandbox-contacts';
import type { WebContactInput } from '../../src/infrastructure/gateways/whatsapp-web/web-contacts';

/** The gateways' address books in Maps: the sandbox's by connection and phone, WhatsApp Web's in arrival order. */
export class InMemoryAddressBooks implements GatewayAddressBooks {
  readonly sandbox = new Map<string, Map<string, SandboxContactSeed & { region: string }>>();
  readonly web = new Map<string, Map<string, { name: string | null; onWhatsApp: boolean | null }>>();

  async seedSandbox(connectionId: string, contacts: SandboxContactSeed[], region: string): Promise<number> {
    const book = this.sandbox.get(connectionId) ?? new Map();
    this.sandbox.set(connectionId, book);
    const byPhone = new Map(contacts.map((contact) => [contact.phone, contact]));
    for (const contact of byPhone.values()) book.set(contact.phone, { ...contact, region });
    return byPhone.size;
  }

  async addWebContacts(
    connectionId: string,
    contacts: WebContactInput[],
  ): Promise<Array<{ phone: string; onWhatsApp: boolean | null }>> {
    const book = this.web.get(connectionId) ?? new Map();
    this.web.set(connectionId, book);
    const changed: Array<{ phone: string; onWhatsApp: boolean | null }> = [];
    for (const contact of contacts) {
      const known = book.get(contact.phone);
      if (!known) {
        book.set(contact.phone, { name: contact.name, onWhatsApp: null });
        changed.push({ phone: contact.phone, onWhatsApp: null });
      } else if (contact.name && contact.name !== known.name) {
        known.name = contact.name;
        changed.push({ phone: contact.phone, onWhatsApp: known.onWhatsApp });
      }
    }
    return changed;
  }

  async recordOnWhatsApp(connectionId: string, answers: Map<string, boolean>): Promise<void> {
    const book = this.web.get(connectionId);
    for (const [phone, onWhatsApp] of answers) {
      const entry = book?.get(phone);
      if (entry) entry.onWhatsApp = onWhatsApp;
    }
  }
}
