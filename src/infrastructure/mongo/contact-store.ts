import { Types } from 'mongoose';
import {
  type ContactBatchWriter,
  type ContactImports,
  type ContactRepository,
  type ImportProgress,
  type ImportStart,
  type ListedContact,
  PhoneTaken,
} from '../../application/contacts/contact-repository';
import { ContactWriter } from './contact-writer';
import { isDuplicateKeyError } from './insert-new';
import type { Models } from './models';
import type { ContactDoc } from './models/contact';
import type { ContactImportDoc } from './models/contact-jobs';
import type { ContactListDoc } from './models/contact-list';

/** Contacts in MongoDB (one at a time; batches go through ContactWriter). */
export class MongoContactRepository implements ContactRepository {
  constructor(private readonly models: Pick<Models, 'Contact' | 'ContactList'>) {}

  async update(id: Types.ObjectId, set: Record<string, unknown>): Promise<ContactDoc | null> {
    try {
      return (await this.models.Contact.findOneAndUpdate(
        { _id: id },
        { $set: set },
        { returnDocument: 'after' },
      ).lean()) as ContactDoc | null;
    } catch (error) {
      // The unique (companyId, phone) index.
      if (isDuplicateKeyError(error))
        throw new PhoneTaken('another contact of the company has this phone', { cause: error });
      throw error;
    }
  }

  async remove(id: Types.ObjectId): Promise<void> {
    await this.models.Contact.deleteOne({ _id: id });
  }

  async createList(companyId: string, name: string): Promise<ContactListDoc> {
    return (await this.models.ContactList.create({ companyId, name })).toObject() as ContactListDoc;
  }

  async addToList(companyId: string, listId: Types.ObjectId, contacts: ListedContact[], at: Date): Promise<void> {
    const company = new Types.ObjectId(companyId);
    const operations = contacts.map((contact) => ({
      updateOne: {
        filter: { companyId: company, phone: contact.phone },
        update: {
          $set: {
            updatedAt: at,
            ...(contact.name === undefined ? {} : { name: contact.name }),
            ...(contact.fields === undefined ? {} : { fields: contact.fields }),
          },
          $setOnInsert: {
            valid: true,
            onWhatsApp: null,
            rejectReason: null,
            checkedAt: null,
            ...(contact.name === undefined ? { name: null } : {}),
            ...(contact.fields === undefined ? { fields: {} } : {}),
          },
          $addToSet: { listIds: listId },
        },
        upsert: true,
      },
    }));
    if (operations.length > 0) await this.models.Contact.bulkWrite(operations, { ordered: false });
  }
}

/** CSV import runs in MongoDB; their contacts written by ContactWriter. */
export class MongoContactImports implements ContactImports {
  constructor(private readonly models: Pick<Models, 'Contact' | 'ContactImport'>) {}

  async start(run: ImportStart): Promise<boolean> {
    try {
      await this.models.ContactImport.create({
        _id: run.importId,
        companyId: run.companyId,
        listId: run.listId,
        status: 'running',
        startedAt: run.startedAt,
      });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async progress(importId: Types.ObjectId, progress: ImportProgress): Promise<void> {
    await this.models.ContactImport.updateOne({ _id: importId }, { $set: progress });
  }

  async complete(importId: Types.ObjectId, progress: ImportProgress, at: Date): Promise<ContactImportDoc> {
    const done = await this.models.ContactImport.findOneAndUpdate(
      { _id: importId },
      { $set: { ...progress, status: 'completed', finishedAt: at } },
      { returnDocument: 'after' },
    ).lean();
    if (!done) throw new Error(`contact import ${String(importId)} is gone`);
    return done as ContactImportDoc;
  }

  async fail(importId: Types.ObjectId, reason: string, at: Date): Promise<void> {
    await this.models.ContactImport.updateOne(
      { _id: importId, status: 'running' },
      { $set: { status: 'failed', failure: reason.slice(0, 500), finishedAt: at } },
    );
  }

  writerFor(companyId: Types.ObjectId): ContactBatchWriter {
    return new ContactWriter(this.models.Contact, companyId);
  }
}
