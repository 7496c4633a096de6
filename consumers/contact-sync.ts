import { Types } from 'mongoose';
import { publishEvent } from '../publishers/domain-event';
import type { PipelineDeps } from '../src/application/pipeline-deps';
import { planSyncPage, syncedContacts } from '../src/domain/contacts/sync-page';
import { PermanentError } from '../src/domain/errors';
import {
  type ConnectionConnected,
  ContactSyncCompleted,
  type ContactSyncRequested,
  type ContactsChanged,
  ContactsSynced,
} from '../src/domain/events/contact-messages';
import { causedBy, type MessageOf } from '../src/domain/events/envelope';
import type { ContactPage, WhatsAppGateway } from '../src/domain/whatsapp/gateway';
import { type GatewayProvider, UnknownConnectionError } from '../src/infrastructure/gateways/gateway-provider';
import { ContactWriter } from '../src/infrastructure/mongo/contact-writer';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

type Trigger =
  | MessageOf<typeof ConnectionConnected>
  | MessageOf<typeof ContactsChanged>
  | MessageOf<typeof ContactSyncRequested>;

export interface ContactSyncDeps extends PipelineDeps {
  gateways: GatewayProvider;
}

/**
 * `<prefix>.contact-sync` ← ConnectionConnected | ContactsChanged | ContactSyncRequested. Pages
 * through the connection's contacts at the provider, normalises each phone to E.164 with the
 * company's region, asks the provider which numbers are on WhatsApp, and writes each page in one
 * unordered bulkWrite keyed by (company, phone) — only what changed, so a sync run again converges
 * to the same contacts and reports nothing new. Each run is a `contact_syncs` document keyed by
 * the triggering event: a redelivery resumes at the stored cursor, and a second copy of the same
 * run stops at the first page the other has already stored. Runs of one connection may overlap
 * (several workers, several triggers): the unique (companyId, phone) index keeps one contact per
 * number. The next page is fetched, normalised and checked while the current one is written.
 */
export function contactSyncConsumer(deps: ContactSyncDeps): ConsumerHandler<Trigger> {
  return {
    async handle(message, { logger }) {
      const { Company, Contact, ContactSync } = deps.models;
      const { connectionId } = message.payload;
      const cause = causedBy(message);
      const source = await deps.gateways.forConnection(connectionId).catch((error: unknown) => {
        throw error instanceof UnknownConnectionError ? new PermanentError(error.message) : error;
      });
      const company = await Company.findById(source.companyId, { defaultRegion: 1 }).lean();
      const region = company?.defaultRegion ?? 'BR';
      const companyId = new Types.ObjectId(source.companyId);
      const syncId = message.eventId;
      const run = await ContactSync.findOneAndUpdate(
        { _id: syncId },
        {
          $setOnInsert: {
            companyId,
            connectionId: new Types.ObjectId(connectionId),
            trigger: message.type,
            status: 'running',
            cursor: null,
            startedAt: new Date(deps.now()),
          },
        },
        { upsert: true, returnDocument: 'after' },
      ).lean();
      if (!run || run.status === 'completed') return;

      let cursor = run.cursor;
      let page = run.pages;
      const writer = new ContactWriter(Contact, companyId);
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
        const written = await writer.write(syncedContacts(planned, onWhatsApp), new Date(deps.now()));
        const notOnWhatsApp = planned.numbers.filter((contact) => onWhatsApp.get(contact.phone) === false).length;
        if (written.created.length + written.updated > 0) {
          await publishEvent(
            deps.publisher,
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
        const advanced = await ContactSync.updateOne(
          { _id: syncId, cursor, pages: page },
          {
            $set: { cursor: current.next },
            $inc: {
              pages: 1,
              seen: current.contacts.length,
              created: written.created.length,
              updated: written.updated,
              unchanged: written.unchanged,
              invalid: planned.invalid.length,
              notOnWhatsApp,
            },
          },
        );
        if (advanced.modifiedCount !== 1) {
          logger.info('another delivery of this sync is ahead; leaving the rest to it', { syncId, page });
          return;
        }
        cursor = current.next;
        page++;
      }
      const done = await ContactSync.findOneAndUpdate(
        { _id: syncId, status: 'running' },
        { $set: { status: 'completed', finishedAt: new Date(deps.now()) } },
        { returnDocument: 'after' },
      ).lean();
      if (!done) return;
      const totals = {
        pages: done.pages,
        seen: done.seen,
        created: done.created,
        updated: done.updated,
        invalid: done.invalid,
        notOnWhatsApp: done.notOnWhatsApp,
      };
      await publishEvent(deps.publisher, ContactSyncCompleted, { connectionId, syncId, ...totals }, cause);
      logger.info('contact sync completed', { syncId, ...totals });
    },
  };
}

interface PreparedPage {
  current: ContactPage;
  planned: ReturnType<typeof planSyncPage>;
  onWhatsApp: Map<string, boolean>;
}

/** One page read from the provider, its phones normalised, and its valid numbers checked on WhatsApp. */
async function preparePage(gateway: WhatsAppGateway, cursor: string | null, region: string): Promise<PreparedPage> {
  const current = await gateway.listContacts(cursor);
  const planned = planSyncPage(current.contacts, region);
  const onWhatsApp =
    planned.numbers.length > 0
      ? await gateway.checkNumbers(planned.numbers.map((contact) => contact.phone))
      : new Map<string, boolean>();
  return { current, planned, onWhatsApp };
}
