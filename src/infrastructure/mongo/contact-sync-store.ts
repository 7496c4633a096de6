import type { Types } from 'mongoose';
import type {
  ContactSyncRuns,
  SyncContactWriter,
  SyncPageCounts,
  SyncRunStart,
  SyncRunState,
  SyncTotals,
} from '../../application/contacts/contact-sync-repository';
import { ContactWriter } from './contact-writer';
import type { Models } from './models';

/** Contact sync runs in MongoDB (`contact_syncs`, keyed by the triggering event); their contacts written by ContactWriter. */
export class MongoContactSyncRuns implements ContactSyncRuns {
  constructor(private readonly models: Pick<Models, 'Contact' | 'ContactSync'>) {}

  async start(run: SyncRunStart): Promise<SyncRunState | null> {
    return this.models.ContactSync.findOneAndUpdate(
      { _id: run.syncId },
      {
        $setOnInsert: {
          companyId: run.companyId,
          connectionId: run.connectionId,
          trigger: run.trigger,
          status: 'running',
          cursor: null,
          startedAt: run.startedAt,
        },
      },
      { upsert: true, returnDocument: 'after' },
    ).lean();
  }

  async advance(
    syncId: string,
    from: { cursor: string | null; pages: number },
    next: string | null,
    counts: SyncPageCounts,
  ): Promise<boolean> {
    const advanced = await this.models.ContactSync.updateOne(
      { _id: syncId, cursor: from.cursor, pages: from.pages },
      { $set: { cursor: next }, $inc: { pages: 1, ...counts } },
    );
    return advanced.modifiedCount === 1;
  }

  async complete(syncId: string, at: Date): Promise<SyncTotals | null> {
    const done = await this.models.ContactSync.findOneAndUpdate(
      { _id: syncId, status: 'running' },
      { $set: { status: 'completed', finishedAt: at } },
      { returnDocument: 'after' },
    ).lean();
    if (!done) return null;
    return {
      pages: done.pages,
      seen: done.seen,
      created: done.created,
      updated: done.updated,
      invalid: done.invalid,
      notOnWhatsApp: done.notOnWhatsApp,
    };
  }

  writerFor(companyId: Types.ObjectId): SyncContactWriter {
    return new ContactWriter(this.models.Contact, companyId);
  }
}
