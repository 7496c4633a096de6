import { Types } from 'mongoose';
import {
  type ContactBatchWriter,
  type ContactImports,
  type ContactRepository,
  type ImportProgress,
  type ImportStart,
  type ListedContact,
  PhoneTaken,
} from '../../src/application/contacts/contact-repository';
import type { IncomingContact } from '../../src/domain/contacts/contact-changes';
import type { ContactDoc } from '../../src/infrastructure/mongo/models/contact';
import type { ContactImportDoc } from '../../src/infrastructure/mongo/models/contact-jobs';
import type { ContactListDoc } from '../../src/infrastructure/mongo/models/contact-list';

/** Contacts in a Map, unique by (company, phone) as the MongoDB index makes them. */
export class InMemoryContactRepository implements ContactRepository {
  readonly byId = new Map<string, ContactDoc>();
  readonly lists = new Map<string, ContactListDoc>();

  /** The company's contact with that phone. */
  byPhone(companyId: Types.ObjectId | string, phone: string): ContactDoc | undefined {
    return [...this.byId.values()].find(
      (contact) => String(contact.companyId) === String(companyId) && contact.phone === phone,
    );
  }

  async createList(companyId: string, name: string): Promise<ContactListDoc> {
    const list = {
      _id: new Types.ObjectId(),
      companyId: new Types.ObjectId(companyId),
      name,
      createdAt: new Date(),
    } as ContactListDoc;
    this.lists.set(String(list._id), list);
    return { ...list };
  }

  async addToList(companyId: string, listId: Types.ObjectId, contacts: ListedContact[], _at: Date): Promise<void> {
    for (const contact of contacts) {
      const found =
        this.byPhone(companyId, contact.phone) ??
        this.add({ companyId: new Types.ObjectId(companyId), phone: contact.phone, name: null, fields: {} });
      const stored = this.byId.get(String(found._id))!;
      if (contact.name !== undefined) stored.name = contact.name;
      if (contact.fields !== undefined) stored.fields = contact.fields;
      if (!stored.listIds.some((id) => id.equals(listId))) stored.listIds = [...stored.listIds, listId];
    }
  }

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
}

/** Import runs by id, and the contacts they wrote by company and phone (last write wins, as upserts do). */
export class InMemoryContactImports implements ContactImports {
  readonly runs = new Map<string, ContactImportDoc>();
  readonly written = new Map<string, IncomingContact>();
  /** Progress writes seen, in order (rows read at each). */
  readonly progressSeen: number[] = [];

  async start(run: ImportStart): Promise<boolean> {
    if (this.runs.has(String(run.importId))) return false;
    this.runs.set(String(run.importId), {
      _id: run.importId,
      companyId: new Types.ObjectId(run.companyId),
      listId: run.listId,
      status: 'running',
      rowsRead: 0,
      imported: 0,
      created: 0,
      updated: 0,
      rejected: 0,
      errors: [],
      errorsTruncated: false,
      duplicates: 0,
      warnings: [],
      failure: null,
      startedAt: run.startedAt,
      finishedAt: null,
    });
    return true;
  }

  private run(importId: Types.ObjectId): ContactImportDoc {
    const run = this.runs.get(String(importId));
    if (!run) throw new Error(`no import ${String(importId)}`);
    return run;
  }

  async progress(importId: Types.ObjectId, progress: ImportProgress): Promise<void> {
    Object.assign(this.run(importId), progress);
    this.progressSeen.push(progress.rowsRead);
  }

  async complete(importId: Types.ObjectId, progress: ImportProgress, at: Date): Promise<ContactImportDoc> {
    return { ...Object.assign(this.run(importId), progress, { status: 'completed', finishedAt: at }) };
  }

  async fail(importId: Types.ObjectId, reason: string, at: Date): Promise<void> {
    const run = this.run(importId);
    if (run.status === 'running') Object.assign(run, { status: 'failed', failure: reason, finishedAt: at });
  }

  writerFor(companyId: Types.ObjectId): ContactBatchWriter {
    return {
      write: async (contacts, _at) => {
        const created: string[] = [];
        let updated = 0;
        for (const contact of contacts) {
          const key = `${String(companyId)} ${contact.phone}`;
          if (this.written.has(key)) updated++;
          else created.push(key);
          this.written.set(key, contact);
        }
        return { created, updated };
      },
    };
  }
}
