import { Types } from 'mongoose';
import type { LaneRecord, LaneStore, SendInFlight, WindowedSend } from '../../application/shippings/lane-pacing';
import { IDLE_LANE, type LaneState } from '../../domain/pacing/pacing-rule';
import type { RateState } from '../../domain/pacing/rate-adaptation';
import type { Models } from './models';

/** Lane records in MongoDB (`lanes`, one document per connection, `_id` the connection's id). */
export class MongoLaneStore implements LaneStore {
  constructor(private readonly models: Pick<Models, 'Lane'>) {}

  async ensure(connectionId: string, companyId: string): Promise<LaneRecord> {
    const doc = await this.models.Lane.findOneAndUpdate(
      { _id: new Types.ObjectId(connectionId) },
      {
        $setOnInsert: {
          companyId: new Types.ObjectId(companyId),
          sent: IDLE_LANE,
          planned: IDLE_LANE,
          inFlight: null,
          version: 0,
        },
      },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    if (!doc) throw new Error(`lane ${connectionId}: upsert returned no document`);
    return {
      sent: doc.sent,
      planned: doc.planned,
      inFlight: doc.inFlight ?? null,
      coolDownUntil: doc.coolDownUntil ?? null,
      window: doc.window ?? [],
      lastStartAt: doc.lastStartAt ?? null,
      rate: doc.rate ?? null,
      version: doc.version,
    };
  }

  async replacePlanned(connectionId: string, version: number, planned: LaneState): Promise<boolean> {
    const result = await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId), version },
      { $set: { planned }, $inc: { version: 1 } },
    );
    return result.modifiedCount === 1;
  }

  async recordSent(connectionId: string, sent: LaneState): Promise<void> {
    await this.models.Lane.updateOne({ _id: new Types.ObjectId(connectionId) }, { $set: { sent, inFlight: null } });
  }

  async setInFlight(connectionId: string, inFlight: SendInFlight): Promise<void> {
    await this.models.Lane.updateOne({ _id: new Types.ObjectId(connectionId) }, { $set: { inFlight } });
  }

  async extendCoolDown(connectionId: string, until: number): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId), $or: [{ coolDownUntil: null }, { coolDownUntil: { $lt: until } }] },
      { $set: { coolDownUntil: until } },
    );
  }

  async settle(connectionId: string, sent: LaneState): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $set: { sent, inFlight: null, window: [] } },
    );
  }

  async openWindow(connectionId: string, sent: LaneState, sends: WindowedSend[]): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $set: { sent }, $push: { window: { $each: sends } } },
    );
  }

  async closeWindow(connectionId: string, shippingIds: string[], lastStartAt: number): Promise<void> {
    await this.models.Lane.updateOne(
      { _id: new Types.ObjectId(connectionId) },
      { $pull: { window: { shippingId: { $in: shippingIds } } }, $max: { lastStartAt } },
    );
  }

  async settleIf(connectionId: string, expected: LaneState, sent: LaneState): Promise<boolean> {
    const result = await this.models.Lane.updateOne(
      {
        _id: new Types.ObjectId(connectionId),
        'sent.lastSentAt': expected.lastSentAt,
        'sent.runLength': expected.runLength,
      },
      { $set: { sent, inFlight: null, window: [] } },
    );
    return result.modifiedCount === 1;
  }

  async saveRate(connectionId: string, rate: RateState | null): Promise<void> {
    await this.models.Lane.updateOne({ _id: new Types.ObjectId(connectionId) }, { $set: { rate } });
  }
}
