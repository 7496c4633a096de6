import type { CapDocument, CapEntry, CapStore } from '../../application/shippings/cap-reservations';
import type { Models } from './models';

/**
 * The daily caps' recipients in MongoDB (`recipient_caps`, one document per scope): every write is
 * an updateOne filtered on the version read, so the reservation rules (CapReservations) stay exact
 * across workers.
 */
export class MongoCapStore implements CapStore {
  constructor(private readonly models: Pick<Models, 'RecipientCap'>) {}

  async read(scope: string): Promise<CapDocument | null> {
    return this.models.RecipientCap.findById(scope).lean();
  }

  async create(scope: string, recent: CapEntry[]): Promise<boolean> {
    try {
      await this.models.RecipientCap.create({ _id: scope, recent, version: 0 });
      return true;
    } catch {
      return false; // created meanwhile: the caller reads it again
    }
  }

  async replace(scope: string, version: number, recent: CapEntry[]): Promise<boolean> {
    const result = await this.models.RecipientCap.updateOne(
      { _id: scope, version },
      { $set: { recent }, $inc: { version: 1 } },
    );
    return result.modifiedCount === 1;
  }

  /** The recipients a scope counts (for progress and planning): empty when it has none. */
  async recent(scope: string): Promise<Array<{ phone: string; at: number }>> {
    return (await this.models.RecipientCap.findById(scope, { recent: 1 }).lean())?.recent ?? [];
  }
}
