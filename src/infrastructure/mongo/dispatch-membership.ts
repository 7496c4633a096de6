import { type Connection, type Model, Schema } from 'mongoose';

/** One live dispatch worker: its heartbeat and, for operators and benchmarks, what it holds. */
export interface DispatchMemberDoc {
  _id: string;
  heartbeatAt: Date;
  startedAt: Date;
  host: string;
  pid: number;
  /** Lanes this worker owns (subscribed first) and stands by for, as of its last heartbeat. */
  owned: number;
  standby: number;
  channels: number;
  connections: number;
}

const DispatchMemberSchema = new Schema<DispatchMemberDoc>(
  {
    _id: { type: String, required: true },
    heartbeatAt: { type: Date, required: true },
    startedAt: { type: Date, required: true },
    host: String,
    pid: Number,
    owned: { type: Number, default: 0 },
    standby: { type: Number, default: 0 },
    channels: { type: Number, default: 0 },
    connections: { type: Number, default: 0 },
  },
  { collection: 'dispatch_members', versionKey: false },
);

export function dispatchMemberModel(connection: Connection): Model<DispatchMemberDoc> {
  return (
    (connection.models.DispatchMember as Model<DispatchMemberDoc> | undefined) ??
    connection.model<DispatchMemberDoc>('DispatchMember', DispatchMemberSchema)
  );
}

/**
 * Which dispatch workers are alive: each renews a heartbeat document every few seconds; one not
 * heard from for `ttlMs` is gone (a SIGKILL leaves its document behind; the survivors ignore it
 * and the next to notice deletes it). A worker that stops cleanly deletes its own at once.
 */
export class DispatchMembership {
  private readonly members: Model<DispatchMemberDoc>;
  private readonly startedAt = new Date();

  constructor(
    connection: Connection,
    readonly memberId: string,
    private readonly ttlMs: number,
    private readonly identity: { host: string; pid: number },
  ) {
    this.members = dispatchMemberModel(connection);
  }

  /**
   * Waits for the model's collection to exist before the first write: mongoose creates it in the
   * background, and the wire server fails an upsert that races with that creation.
   */
  async join(now: number, holding: Pick<DispatchMemberDoc, 'owned' | 'standby' | 'channels' | 'connections'>) {
    await this.members.init().catch(() => undefined);
    await this.beat(now, holding);
  }

  async beat(now: number, holding: Pick<DispatchMemberDoc, 'owned' | 'standby' | 'channels' | 'connections'>) {
    await this.members.updateOne(
      { _id: this.memberId },
      { $set: { heartbeatAt: new Date(now), startedAt: this.startedAt, ...this.identity, ...holding } },
      { upsert: true },
    );
  }

  /** The live workers' ids, sorted; this worker is always among them. */
  async alive(now: number): Promise<string[]> {
    const all = await this.members.find({}, { _id: 1, heartbeatAt: 1 }).lean();
    const cutoff = now - this.ttlMs;
    const stale = all.filter((member) => member.heartbeatAt.getTime() < cutoff && member._id !== this.memberId);
    if (stale.length > 0)
      await this.members.deleteMany({
        _id: { $in: stale.map((member) => member._id) },
        heartbeatAt: { $lt: new Date(cutoff) },
      });
    const live = new Set(all.filter((member) => !stale.includes(member)).map((member) => member._id));
    live.add(this.memberId);
    return [...live].sort();
  }

  async leave(): Promise<void> {
    await this.members.deleteOne({ _id: this.memberId });
  }
}
