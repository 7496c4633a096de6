import { Types } from 'mongoose';
import { planSyncPage, syncedContacts } from '../../domain/contacts/sync-page';
import type { ConnectionConnected, ContactSyncRequested, ContactsChanged } from '../../domain/events/contact-messages';
import { ContactSyncCompleted, ContactsSynced } from '../../domain/events/contact-messages';
import { causedBy, type MessageOf } from '../../domain/events/envelope';
import type { ContactPage, WhatsAppGateway } from '../../domain/whatsapp/gateway';
import type { Logger } from '../../infrastructure/observability/logger';
import type { DomainEvents } from '../messaging-ports';
import type { ContactSyncRuns } from './contact-sync-repository';

export type ContactSyncTrigger =
  | MessageOf<typeof ConnectionConnected>
  | MessageOf<typeof ContactsChanged>
  | MessageOf<typeof ContactSyncRequested>;

/** The address book a sync reads: the connection's provider and its company. */
export interface SyncSource {
  companyId: string;
  gateway: Pick<WhatsAppGateway, 'listContacts' | 'checkNumbers'>;
}

export interface ContactSyncServiceDeps {
  runs: ContactSyncRuns;
  /** The company's region, for phones written without a country code. */
  regionOf(companyId: string): Promise<string>;
  events: DomainEvents;
  now(): number;
}

/**
 * Owns contact sync runs: a run started (keyed by the triggering event), each page of contacts
 * written and counted, the run completed; ContactsSynced per page that changed something,
 * ContactSyncCompleted once.
 */
export class ContactSyncService {
  constructor(private readonly deps: ContactSyncServiceDeps) {}

  /**
   * Runs a contact sync (on ConnectionConnected, ContactsChanged or ContactSyncRequested). Pages
   * through the connection's contacts at the provider, normalises each phone to E.164 with the
   * company's region, asks the provider which numbers are on WhatsApp, and writes each page in one
   * unordered bulk write keyed by (company, phone) — only what changed, so a sync run again converges
   * to the same contacts and reports nothing new. Each run is recorded under the triggering event's
   * id: a redelivery resumes at the stored cursor, and a second copy of the same run stops at the
   * first page the other has already stored. Runs of one connection may overlap (several workers,
   * several triggers): the unique (companyId, phone) key keeps one contact per number. The next
   * page is fetched, normalised and checked while the current one is written.
   */
  async run(message: ContactSyncTrigger, source: SyncSource, logger: Logger): Promise<void> {
    const { runs, events } = this.deps;
    const { connectionId } = message.payload;
    const cause = causedBy(message);
    const region = await this.deps.regionOf(source.companyId);
    const companyId = new Types.ObjectId(source.companyId);
    const syncId = message.eventId;
    const run = await runs.start({
      syncId,
      companyId,
      connectionId: new Types.ObjectId(connectionId),
      trigger: message.type,
      startedAt: new Date(this.deps.now()),
    });
    if (!run || run.status === 'completed') return;

    let cursor = run.cursor;
    let page = run.pages;
    const writer = runs.writerFor(companyId);
    // Read ahead: the next page is fetched, normalised and checked while this one is written.
    const prepare = (next: string | null) => {
      const prepared = next === null ? null : preparePage(source.gateway, next, region);
      prepared?.catch(() => undefined);
      return prepared;
    };
    let preparing: Promise<PreparedPage> | null = preparePage(source.gateway, cursor, region);
    while (preparing) {
      const { current, planned, onWhatsApp } = await preparing;
      preparing = prepare(current.next);
      const written = await writer.write(syncedContacts(planned, onWhatsApp), new Date(this.deps.now()));
      const notOnWhatsApp = planned.numbers.filter((contact) => onWhatsApp.get(contact.phone) === false).length;
      if (written.created.length + written.updated > 0) {
        await events.publish(
          ContactsSynced,
          {
            connectionId,
            syncId,
            page,
            created: written.created,
            updated: written.updated,
            unchanged: written.unchanged,
            invalid: planned.invalid.length,
            notOnWhatsApp,
          },
          cause,
        );
      }
      const advanced = await runs.advance(syncId, { cursor, pages: page }, current.next, {
        seen: current.contacts.length,
        created: written.created.length,
        updated: written.updated,
        unchanged: written.unchanged,
        invalid: planned.invalid.length,
        notOnWhatsApp,
      });
      if (!advanced) {
        logger.info('another delivery of this sync is ahead; leaving the rest to it', { syncId, page });
        return;
      }
      cursor = current.next;
      page++;
    }
    const totals = await runs.complete(syncId, new Date(this.deps.now()));
    if (!totals) return;
    await events.publish(ContactSyncCompleted, { connectionId, syncId, ...totals }, cause);
    logger.info('contact sync completed', { syncId, ...totals });
  }
}

interface PreparedPage {
  current: ContactPage;
  planned: ReturnType<typeof planSyncPage>;
  onWhatsApp: Map<string, boolean>;
}

/** One page read from the provider, its phones normalised, and its valid numbers checked on WhatsApp. */
async function preparePage(
  gateway: SyncSource['gateway'],
  cursor: string | null,
  region: string,
): Promise<PreparedPage> {
  const current = await gateway.listContacts(cursor);
  const planned = planSyncPage(current.contacts, region);
  const onWhatsApp =
    planned.numbers.length > 0
      ? await gateway.checkNumbers(planned.numbers.map((contact) => contact.phone))
      : new Map<string, boolean>();
  return { current, planned, onWhatsApp };
}
