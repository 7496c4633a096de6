import type { Types } from 'mongoose';
import { type ContactRepository, type ImportStart, PhoneTaken } from '../../application/contacts/contact-repository';
import { isDuplicateKeyError } from './insert-new';
import type { Models } from './models';
import type { ContactDoc } from './models/contact';

/** Contacts in MongoDB (one at a time; batches go through ContactWriter). */
export class MongoContactRepository implements ContactRepository {
  constructor(private readonly models: Pick<Models, 'Contact' | 'ContactImport'>) {}

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

  async startImport(run: ImportStart): Promise<boolean> {
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
}
