import { Types } from 'mongoose';
import type {
  ContactSyncRuns,
  SyncContactWriter,
  SyncPageCounts,
  SyncRunStart,
  SyncRunState,
  SyncTotals,
} from '../../src/application/contacts/contact-sync-repository';
import type { IncomingContact } from '../../src/domain/contacts/contact-changes';
import type { ContactPage, GatewayContact } from '../../src/domain/whatsapp/gateway';
import type { ContactSyncDoc } from '../../src/infrastructure/mongo/models/contact-jobs';

/**
 * Sync runs by id, with the compare-and-set on (cursor, pages) the MongoDB store makes, and the
 * contacts they wrote by company and phone (a write that changes nothing counts as unchanged).
 */
export class InMemoryContactSyncRuns implements ContactSyncRuns {
  readonly runs = new Map<string, ContactSyncDoc>();
  readonly contacts = new Map<string, { id: string; contact: IncomingContact }>();

  async start(run: SyncRunStart): Promise<SyncRunState | null> {
    if (!this.runs.has(run.syncId))
      this.runs.set(run.syncId, {
        _id: run.syncId,
        companyId: run.companyId,
        connectionId: run.connectionId,
        trigger: run.trigger,
        status: 'running',
        cursor: null,
        pages: 0,
        seen: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        invalid: 0,
        notOnWhatsApp: 0,
        startedAt: run.startedAt,
        finishedAt: null,
      });
    return { ...this.runs.get(run.syncId)! };
  }

  async advance(
    syncId: string,
    from: { cursor: string | null; pages: number },
    next: string | null,
    counts: SyncPageCounts,
  ): Promise<boolean> {
    const run = this.runs.get(syncId);
    if (!run || run.cursor !== from.cursor || run.pages !== from.pages) return false;
    run.cursor = next;
    run.pages++;
    for (const [key, value] of Object.entries(counts)) run[key as keyof SyncPageCounts] += value;
    return true;
  }

  async complete(syncId: string, at: Date): Promise<SyncTotals | null> {
    const run = this.runs.get(syncId);
    if (run?.status !== 'running') return null;
    Object.assign(run, { status: 'completed', finishedAt: at });
    const { pages, seen, created, updated, invalid, notOnWhatsApp } = run;
    return { pages, seen, created, updated, invalid, notOnWhatsApp };
  }

  writerFor(companyId: Types.ObjectId): SyncContactWriter {
    return {
      write: async (contacts) => {
        const result = { created: [] as string[], updated: 0, unchanged: 0 };
        for (const contact of contacts) {
          const key = `${String(companyId)} ${contact.phone}`;
          const stored = this.contacts.get(key);
          if (!stored) {
            const id = String(new Types.ObjectId());
            this.contacts.set(key, { id, contact });
            result.created.push(id);
          } else if (JSON.stringify(stored.contact) === JSON.stringify(contact)) result.unchanged++;
          else {
            stored.contact = contact;
            result.updated++;
          }
        }
        return result;
      },
    };
  }

  /** The company's stored contact with that phone. */
  contact(companyId: Types.ObjectId | string, phone: string): IncomingContact | undefined {
    return this.contacts.get(`${String(companyId)} ${phone}`)?.contact;
  }
}

/**
 * A provider's address book in pages of `pageSize` (cursors are offsets), with the numbers on
 * WhatsApp given; `failAt` makes reading the page at that cursor fail once (a provider error mid-run).
 */
export class PagedAddressBook {
  readonly reads: Array<string | null> = [];
  failAt: string | null = null;

  constructor(
    readonly contacts: GatewayContact[],
    readonly pageSize: number,
    readonly onWhatsApp: (phone: string) => boolean = () => true,
  ) {}

  async listContacts(cursor: string | null): Promise<ContactPage> {
    this.reads.push(cursor);
    if (cursor !== null && cursor === this.failAt) {
      this.failAt = null;
      throw new Error('provider unavailable');
    }
    const start = cursor === null ? 0 : Number(cursor);
    const end = start + this.pageSize;
    return { contacts: this.contacts.slice(start, end), next: end < this.contacts.length ? String(end) : null };
  }

  async checkNumbers(phones: string[]): Promise<Map<string, boolean>> {
    return new Map(phones.map((phone) => [phone, this.onWhatsApp(phone)]));
  }
}
