import type { Connection } from 'mongoose';
import type {
  ConnectionRepository,
  NewConnection,
  PairingRecords,
} from '../../application/connections/connection-repository';
import type { ConnectionStatus } from '../../domain/connections/connection-status';
import { forgetSession, type WebPairingDoc, whatsappWebStore } from '../gateways/whatsapp-web/web-store';
import type { Models } from './models';
import type { ConnectionDoc } from './models/connection';

/** Connections in MongoDB: a status change is a findOneAndUpdate filtered on `_id` and the allowed statuses. */
export class MongoConnectionRepository implements ConnectionRepository {
  constructor(private readonly models: Pick<Models, 'Connection'>) {}

  async create(fields: NewConnection): Promise<ConnectionDoc> {
    const created = await this.models.Connection.create(fields);
    return created.toObject() as ConnectionDoc;
  }

  async findById(id: string): Promise<ConnectionDoc | null> {
    return (await this.models.Connection.findById(id).lean()) as ConnectionDoc | null;
  }

  async update(
    id: string,
    set: Record<string, unknown>,
    from?: readonly ConnectionStatus[],
  ): Promise<ConnectionDoc | null> {
    return (await this.models.Connection.findOneAndUpdate(
      { _id: id, ...(from ? { status: { $in: [...from] } } : {}) },
      { $set: set },
      { returnDocument: 'after' },
    ).lean()) as ConnectionDoc | null;
  }

  async remove(id: string, from?: readonly ConnectionStatus[]): Promise<boolean> {
    const removed = await this.models.Connection.deleteOne({
      _id: id,
      ...(from ? { status: { $in: [...from] } } : {}),
    });
    return removed.deletedCount === 1;
  }
}

/** WhatsApp Web pairing records and session secrets, in the WhatsApp Web store of the same database. */
export class MongoPairingRecords implements PairingRecords {
  constructor(private readonly db: Connection) {}

  private get store() {
    return whatsappWebStore(this.db);
  }

  async open(connectionId: string): Promise<void> {
    await this.store.Pairing.create({ _id: connectionId });
  }

  async reopen(connectionId: string): Promise<void> {
    await this.store.Pairing.updateOne({ _id: connectionId }, { $setOnInsert: { qrCount: 0 } }, { upsert: true });
  }

  async linked(connectionId: string): Promise<void> {
    await this.store.Pairing.updateOne(
      { _id: connectionId },
      { $set: { qr: null, qrAt: null, phone: null, code: null, codeAt: null, error: null } },
    );
  }

  forget(connectionId: string): Promise<void> {
    return forgetSession(this.store, connectionId);
  }

  async find(connectionId: string): Promise<WebPairingDoc | null> {
    return this.store.Pairing.findById(connectionId).lean();
  }

  async askCode(connectionId: string, phone: string): Promise<WebPairingDoc> {
    const pairing = await this.store.Pairing.findOneAndUpdate(
      { _id: connectionId },
      { $set: { phone, code: null, codeAt: null, error: null } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    return pairing!;
  }

  async recordQr(connectionId: string, qr: string, at: Date, holder: string): Promise<void> {
    await this.store.Pairing.updateOne(
      { _id: connectionId },
      { $set: { qr, qrAt: at, holder }, $inc: { qrCount: 1 } },
      { upsert: true },
    );
  }

  async recordCode(
    connectionId: string,
    phone: string,
    outcome: { code: string } | { error: string },
    at: Date,
  ): Promise<void> {
    await this.store.Pairing.updateOne(
      { _id: connectionId, phone },
      'code' in outcome
        ? { $set: { code: outcome.code, codeAt: at, error: null } }
        : { $set: { error: outcome.error, phone: null } },
    );
  }
}
