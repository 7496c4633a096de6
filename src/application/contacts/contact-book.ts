import type { Readable } from 'node:stream';
import type { Types } from 'mongoose';
import { normalisePhone } from '../../domain/contacts/phone';
import { AppError } from '../../domain/errors';
import type { Cause } from '../../domain/events/envelope';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { ContactImportDoc } from '../../infrastructure/mongo/models/contact-jobs';
import type { ContactListDoc } from '../../infrastructure/mongo/models/contact-list';
import {
  type ContactImports,
  type ContactRepository,
  type ImportStart,
  type ListedContact,
  PhoneTaken,
} from './contact-repository';

/** A contact to add: a phone as typed (normalised with the company's region), a name and fields. */
export interface ContactInput {
  phone: string;
  name?: string | null;
  fields?: Record<string, unknown>;
}

export interface AddedContacts {
  added: number;
  rejected: Array<{ index: number; phone: string; reason: string }>;
}

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
 * Owns a contact's own changes: added to a list, updated, deleted (its shippings not yet sent
 * cancelled), a contact list created, and a CSV import run (running, completed or failed, its
 * contacts written in batches).
 */
export class ContactService {
  constructor(private readonly deps: ContactServiceDeps) {}

  /** Creates a contact list of the company. */
  createList(companyId: string, name: string): Promise<ContactListDoc> {
    return this.deps.contacts.createList(companyId, name);
  }

  /**
   * Adds contacts to a list, normalising phones to E.164 with the company's region. A contact is one
   * per (company, phone): adding it again updates its name and fields and adds the list. Rows with a
   * bad phone are reported back, the rest are stored.
   */
  async addContacts(
    companyId: string,
    listId: Types.ObjectId,
    contacts: ContactInput[],
    region: string,
  ): Promise<AddedContacts> {
    const rejected: AddedContacts['rejected'] = [];
    const accepted: ListedContact[] = [];
    for (const [index, contact] of contacts.entries()) {
      const phone = normalisePhone(contact.phone, region);
      if (!phone.valid) {
        rejected.push({ index, phone: contact.phone, reason: phone.reason });
        continue;
      }
      accepted.push({
        phone: phone.e164,
        ...(contact.name === undefined ? {} : { name: contact.name }),
        ...(contact.fields === undefined
          ? {}
          : { fields: Object.fromEntries(Object.entries(contact.fields).map(([key, value]) => [key, String(value)])) }),
      });
    }
    if (accepted.length > 0) await this.deps.contacts.addToList(companyId, listId, accepted, new Date(this.deps.now()));
    return { added: accepted.length, rejected };
  }

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
