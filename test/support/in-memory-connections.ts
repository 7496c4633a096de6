import { Types } from 'mongoose';
import type {
  ConnectionRepository,
  NewConnection,
  PairingRecords,
} from '../../src/application/connections/connection-repository';
import type { ConnectionStatus } from '../../src/domain/connections/connection-status';
import type { WebPairingDoc } from '../../src/infrastructure/gateways/whatsapp-web/web-store';
import type { ConnectionDoc } from '../../src/infrastructure/mongo/models/connection';

/** Connections in a Map, with the same compare-and-set semantics as the MongoDB repository. */
export class InMemoryConnectionRepository implements ConnectionRepository {
  readonly byId = new Map<string, ConnectionDoc>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A stored connection in any state (the test's starting point). */
  add(fields: Partial<ConnectionDoc> = {}): ConnectionDoc {
    const connection: ConnectionDoc = {
      _id: new Types.ObjectId(),
      companyId: new Types.ObjectId(),
      name: 'Number',
      gateway: 'sandbox',
      status: 'connected',
      haltedReason: null,
      haltedAt: null,
      sandbox: { latencyMs: 0, failureRate: 0 },
      cloudApi: null,
      createdAt: new Date(this.now()),
      ...fields,
    };
    this.byId.set(String(connection._id), connection);
    return { ...connection };
  }

  status(id: Types.ObjectId | string): ConnectionStatus | undefined {
    return this.byId.get(String(id))?.status;
  }

  async create(fields: NewConnection): Promise<ConnectionDoc> {
    return this.add({ ...fields, companyId: new Types.ObjectId(fields.companyId) });
  }

  async findById(id: string): Promise<ConnectionDoc | null> {
    const found = this.byId.get(id);
    return found ? { ...found } : null;
  }

  async update(
    id: string,
    set: Record<string, unknown>,
    from?: readonly ConnectionStatus[],
  ): Promise<ConnectionDoc | null> {
    const found = this.byId.get(id);
    if (!found || (from && !from.includes(found.status))) return null;
    Object.assign(found, set);
    return { ...found };
  }

  async remove(id: string, from?: readonly ConnectionStatus[]): Promise<boolean> {
    const found = this.byId.get(id);
    if (!found || (from && !from.includes(found.status))) return false;
    return this.byId.delete(id);
  }
}

/** Pairing records by connection (what the API shows), the set of open ones, and what happened to each. */
export class InMemoryPairingRecords implements PairingRecords {
  readonly open_ = new Set<string>();
  readonly records = new Map<string, WebPairingDoc>();
  readonly log: string[] = [];
  /** Makes the next `open` fail (a store that refuses). */
  failNextOpen = false;

  private record(connectionId: string): WebPairingDoc {
    let record = this.records.get(connectionId);
    if (!record) {
      record = {
        _id: connectionId,
        qr: null,
        qrAt: null,
        qrCount: 0,
        phone: null,
        code: null,
        codeAt: null,
        holder: null,
        error: null,
      };
      this.records.set(connectionId, record);
    }
    return record;
  }

  async open(connectionId: string): Promise<void> {
    if (this.failNextOpen) {
      this.failNextOpen = false;
      throw new Error('pairing store unavailable');
    }
    this.open_.add(connectionId);
    this.record(connectionId);
    this.log.push(`open ${connectionId}`);
  }

  async reopen(connectionId: string): Promise<void> {
    this.open_.add(connectionId);
    this.record(connectionId);
    this.log.push(`reopen ${connectionId}`);
  }

  async linked(connectionId: string): Promise<void> {
    const record = this.records.get(connectionId);
    if (record) Object.assign(record, { qr: null, qrAt: null, phone: null, code: null, codeAt: null, error: null });
    this.log.push(`linked ${connectionId}`);
  }

  async forget(connectionId: string): Promise<void> {
    this.open_.delete(connectionId);
    this.records.delete(connectionId);
    this.log.push(`forget ${connectionId}`);
  }

  async find(connectionId: string): Promise<WebPairingDoc | null> {
    const record = this.records.get(connectionId);
    return record ? { ...record } : null;
  }

  async askCode(connectionId: string, phone: string): Promise<WebPairingDoc> {
    return { ...Object.assign(this.record(connectionId), { phone, code: null, codeAt: null, error: null }) };
  }

  async recordQr(connectionId: string, qr: string, at: Date, holder: string): Promise<void> {
    const record = this.record(connectionId);
    Object.assign(record, { qr, qrAt: at, holder, qrCount: record.qrCount + 1 });
  }

  async recordCode(
    connectionId: string,
    phone: string,
    outcome: { code: string } | { error: string },
    at: Date,
  ): Promise<void> {
    const record = this.records.get(connectionId);
    if (record?.phone !== phone) return;
    if ('code' in outcome) Object.assign(record, { code: outcome.code, codeAt: at, error: null });
    else Object.assign(record, { error: outcome.error, phone: null });
  }
}
