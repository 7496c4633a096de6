import { Types } from 'mongoose';
import {
  type ContactRepository,
  type ImportStart,
  PhoneTaken,
} from '../../src/application/contacts/contact-repository';
import type { ContactDoc } from '../../src/infrastructure/mongo/models/contact';

/** Contacts in a Map, unique by (company, phone) as the MongoDB index makes them; import runs by id. */
export class InMemoryContactRepository implements ContactRepository {
  readonly byId = new Map<string, ContactDoc>();
  readonly imports = new Map<string, ImportStart>();

  add(fields: Partial<ContactDoc> = {}): ContactDoc {
    const contact = {
      _id: new Types.ObjectId(),
      companyId: new Types.ObjectId(),
      phone: '+5511999990000',
      name: 'Ana',
      fields: {},
      listIds: [],
      ...fields,
    } as unknown as ContactDoc;
    this.byId.set(String(contact._id), contact);
    return { ...contact };
  }

  async update(id: Types.ObjectId, set: Record<string, unknown>): Promise<ContactDoc | null> {
    const found = this.byId.get(String(id));
    if (!found) return null;
    const taken = [...this.byId.values()].some(
      (other) =>
        !other._id.equals(id) &&
        other.companyId.equals(found.companyId) &&
        set.phone !== undefined &&
        other.phone === set.phone,
    );
    if (taken) throw new PhoneTaken('another contact of the company has this phone');
    Object.assign(found, set);
    return { ...found };
  }

  async remove(id: Types.ObjectId): Promise<void> {
    this.byId.delete(String(id));
  }

  async startImport(run: ImportStart): Promise<boolean> {
    if (this.imports.has(String(run.importId))) return false;
    this.imports.set(String(run.importId), run);
    return true;
  }
}
