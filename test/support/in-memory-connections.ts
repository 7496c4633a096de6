import { Types } from 'mongoose';
import type {
  ConnectionRepository,
  NewConnection,
  PairingRecords,
} from '../../src/application/connections/connection-repository';
import type { ConnectionStatus } from '../../src/domain/connections/connection-status';
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

/** Pairing records as a set of open ones, and what happened to each. */
export class InMemoryPairingRecords implements PairingRecords {
  readonly open_ = new Set<string>();
  readonly log: string[] = [];
  /** Makes the next `open` fail (a store that refuses). */
  failNextOpen = false;

  async open(connectionId: string): Promise<void> {
    if (this.failNextOpen) {
      this.failNextOpen = false;
      throw new Error('pairing store unavailable');
    }
    this.open_.add(connectionId);
    this.log.push(`open ${connectionId}`);
  }

  async reopen(connectionId: string): Promise<void> {
    this.open_.add(connectionId);
    this.log.push(`reopen ${connectionId}`);
  }

  async linked(connectionId: string): Promise<void> {
    this.log.push(`linked ${connectionId}`);
  }

  async forget(connectionId: string): Promise<void> {
    this.open_.delete(connectionId);
    this.log.push(`forget ${connectionId}`);
  }
}
