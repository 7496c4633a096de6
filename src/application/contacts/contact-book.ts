import type { Readable } from 'node:stream';
import type { Types } from 'mongoose';
import { AppError } from '../../domain/errors';
import type { Cause } from '../../domain/events/envelope';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { ContactImportDoc } from '../../infrastructure/mongo/models/contact-jobs';
import { type ContactImports, type ContactRepository, type ImportStart, PhoneTaken } from './contact-repository';
import { importCsv } from './csv-import';

export interface ContactServiceDeps {
  contacts: ContactRepository;
  imports: ContactImports;
  /** Cancels the contact's shippings not yet sent (ShippingService.cancelOfContact). */
  cancelShippingsOf(contactId: Types.ObjectId, reason: string): Promise<{ campaignIds: string[]; count: number }>;
  /** Completes the campaign if nothing is left in flight (CampaignService.completeIfDone). */
  completeIfDone(campaignId: string, cause: Cause): Promise<boolean>;
  now(): number;
}

/**
 * Owns a contact's own changes: updated, deleted (its shippings not yet sent cancelled), and a CSV
 * import run (running, completed or failed, its contacts written in batches).
 */
export class ContactService {
  constructor(private readonly deps: ContactServiceDeps) {}

  /** Changes a contact; a phone another contact of the company has is a conflict naming the field. */
  async update(contactId: Types.ObjectId, set: Record<string, unknown>): Promise<ContactDoc> {
    try {
      const updated = await this.deps.contacts.update(contactId, set);
      if (!updated) throw AppError.notFound('contact');
      return updated;
    } catch (error) {
      if (error instanceof PhoneTaken)
        throw new AppError('conflict', 'another contact of the company has this phone', {
          fields: [{ field: 'body.phone', message: 'is taken by another contact' }],
          cause: error,
        });
      throw error;
    }
  }

  /**
   * Deletes a contact. Campaigns that planned it go on: each of its shippings not yet sent is
   * cancelled and counted, and a campaign left with nothing else to send completes. Shippings keep
   * their own copy of phone and text, so nothing downstream reads the deleted contact.
   *
   * Not covered: a contact planned by a campaign still being processed whose shipping is written
   * after this runs is sent once (its batch carries the contact's data).
   */
  async delete(cause: Cause, contactId: Types.ObjectId): Promise<{ cancelledShippings: number }> {
    await this.deps.contacts.remove(contactId);
    return { cancelledShippings: await this.cancelUnsent(cause, contactId, 'contact deleted') };
  }

  /**
   * Cancels every shipping of the contact not yet sent (each claimed as dispatch claims it, so it is
   * either sent or cancelled, never both; one already `sending` may still go), counted on its
   * campaign; a campaign left with nothing else to send completes. Used when a contact is deleted
   * and when its phone is suppressed (opt-out). Returns how many it cancelled.
   */
  async cancelUnsent(cause: Cause, contactId: Types.ObjectId, reason: string): Promise<number> {
    const { campaignIds, count } = await this.deps.cancelShippingsOf(contactId, reason);
    for (const campaignId of campaignIds) await this.deps.completeIfDone(campaignId, cause);
    return count;
  }

  /** Records a CSV import as running; an id already used is a conflict (the client retried). */
  async startImport(run: ImportStart): Promise<void> {
    if (!(await this.deps.imports.start(run))) throw AppError.conflict('an import with this id exists already');
  }

  /**
   * Runs a CSV import into a list (csv-import.ts reads the rows): recorded as running (an id already
   * used is a conflict), rows read with the company's region, the run marked failed if it cannot
   * finish (the error is rethrown).
   */
  async importContacts(
    job: { importId: Types.ObjectId; companyId: Types.ObjectId; listId: Types.ObjectId; defaultRegion: string },
    input: Readable,
  ): Promise<ContactImportDoc> {
    const { importId, companyId, listId } = job;
    await this.startImport({ importId, companyId: String(companyId), listId, startedAt: new Date(this.deps.now()) });
    try {
      return await importCsv(this.deps.imports, job, input, this.deps.now);
    } catch (error) {
      const reason = (error as Error).message ?? String(error);
      await this.deps.imports.fail(importId, reason, new Date(this.deps.now()));
      throw error;
    }
  }
}
