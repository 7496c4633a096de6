import type { Types } from 'mongoose';
import { AppError } from '../../domain/errors';
import { isDuplicateKeyError } from '../../infrastructure/mongo/insert-new';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { PipelineDeps } from '../pipeline-deps';

/** Changes a contact; a phone another contact of the company has is a conflict naming the field. */
export async function updateContact(
  deps: PipelineDeps,
  contactId: Types.ObjectId,
  set: Record<string, unknown>,
): Promise<ContactDoc> {
  try {
    const updated = (await deps.models.Contact.findOneAndUpdate(
      { _id: contactId },
      { $set: set },
      { returnDocument: 'after' },
    ).lean()) as ContactDoc | null;
    if (!updated) throw AppError.notFound('contact');
    return updated;
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new AppError('conflict', 'another contact of the company has this phone', {
        fields: [{ field: 'body.phone', message: 'is taken by another contact' }],
        cause: error,
      });
    throw error;
  }
}

/** Records a CSV import as running; an id already used is a conflict (the client retried). */
export async function startContactImport(
  deps: PipelineDeps,
  fields: { importId: Types.ObjectId; companyId: string; listId: Types.ObjectId; startedAt: Date },
): Promise<void> {
  try {
    await deps.models.ContactImport.create({
      _id: fields.importId,
      companyId: fields.companyId,
      listId: fields.listId,
      status: 'running',
      startedAt: fields.startedAt,
    });
  } catch (error) {
    if (isDuplicateKeyError(error)) throw AppError.conflict('an import with this id exists already', { cause: error });
    throw error;
  }
}
