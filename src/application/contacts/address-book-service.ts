import type { ConnectionStatus } from '../../domain/connections/connection-status';
import { type Cause, newCorrelation } from '../../domain/events/envelope';
import type { SandboxContactSeed } from '../../infrastructure/gateways/sandbox/sandbox-contacts';
import type { WebContactInput } from '../../infrastructure/gateways/whatsapp-web/web-contacts';
import type { GatewayAddressBooks } from './address-book-repository';

/** Numbers asked of WhatsApp (sock.onWhatsApp) in one query. */
export const ON_WHATSAPP_BATCH = 50;

export interface AddressBookServiceDeps {
  books: GatewayAddressBooks;
  /** The connection's company and status, or null when it is gone. */
  connectionOf(connectionId: string): Promise<{ companyId: unknown; status: ConnectionStatus } | null>;
  /** Publishes ContactsChanged (an incremental contact sync follows); its event id, which is the sync's id. */
  contactsChanged(connectionId: string, cause: Cause): Promise<string>;
}

/**
 * Owns the changes to the gateways' own address books: the sandbox's seeded by the API, a
 * WhatsApp Web session's as WhatsApp delivers contacts. Each change that matters announces
 * ContactsChanged, so a contact sync brings it into the company's contacts.
 */
export class AddressBookService {
  constructor(private readonly deps: AddressBookServiceDeps) {}

  /** Sandbox only: puts contacts in the simulated number's address book; the sync that follows (its id). */
  async seedSandbox(
    cause: Cause,
    connectionId: string,
    contacts: SandboxContactSeed[],
    region: string,
  ): Promise<{ stored: number; syncId: string }> {
    const stored = await this.deps.books.seedSandbox(connectionId, contacts, region);
    const syncId = await this.deps.contactsChanged(connectionId, cause);
    return { stored, syncId };
  }

  /**
   * Contacts WhatsApp delivered to a WhatsApp Web session (on linking, from history sync, and as
   * they change): stored in arrival order for listContacts to page over, the new numbers checked on
   * WhatsApp in batches (`check` is sock.onWhatsApp), then ContactsChanged starts an incremental
   * sync if the number is connected. Returns how many were new or changed.
   */
  async receiveWebContacts(
    connectionId: string,
    contacts: WebContactInput[],
    check: (phones: string[]) => Promise<Map<string, boolean>>,
  ): Promise<number> {
    const changed = await this.deps.books.addWebContacts(connectionId, contacts);
    if (changed.length === 0) return 0;
    const unchecked = changed.filter((contact) => contact.onWhatsApp === null).map((contact) => contact.phone);
    for (let start = 0; start < unchecked.length; start += ON_WHATSAPP_BATCH) {
      const batch = unchecked.slice(start, start + ON_WHATSAPP_BATCH);
      await this.deps.books.recordOnWhatsApp(connectionId, await check(batch));
    }
    const connection = await this.deps.connectionOf(connectionId);
    if (connection?.status === 'connected')
      await this.deps.contactsChanged(connectionId, newCorrelation(String(connection.companyId)));
    return changed.length;
  }
}
