import { earliestNextSend, recordSend, requiredGap } from '../../../domain/pacing/pacing-rule';
import type { PacingSettings } from '../../../domain/pacing/pacing-settings';
import { isDuplicateKeyError } from '../../mongo/insert-new';
import type { SandboxStore } from './sandbox-store';

interface Pending {
  doc: Record<string, unknown> & { _id: string };
  at: number;
  pacing: PacingSettings;
  resolve(outcome: 'recorded' | 'replay'): void;
  reject(error: unknown): void;
}

/**
 * A batch gathers the sends of this long before it is written (their answers wait that much longer,
 * beside a simulated round trip of 150 ms): at 1,000 sends/s, writing as soon as one send was
 * waiting made batches of a few sends and three commands for each — socket writes were an eighth
 * of the dispatch worker's CPU.
 */
const GATHER_MS = 20;

/**
 * The sandbox's record of one number's sends, written in batches: every send is stored (and judged
 * against the pacing rule) before the sandbox answers it, but the sends answered within a short
 * gathering time, or while a write is out, go together (one insert and two lane writes for the
 * batch, not three writes a send). A repeated idempotency key is a replay: nothing stored, nothing judged.
 */
export class SandboxRecorder {
  private readonly pending: Pending[] = [];
  private writing = false;

  constructor(
    private readonly store: SandboxStore,
    private readonly connectionId: string,
  ) {}

  /** Stores the send (or finds it a replay of a key stored before); resolves once it is written. */
  record(doc: Pending['doc'], at: number, pacing: PacingSettings): Promise<'recorded' | 'replay'> {
    return new Promise((resolve, reject) => {
      this.pending.push({ doc, at, pacing, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setTimeout(() => void this.write(), GATHER_MS);
      }
    });
  }

  private async write(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          const replays = await this.insert(batch);
          const recorded = batch.filter((_, index) => !replays.has(index));
          await this.judgePacing(recorded);
          for (const [index, each] of batch.entries()) each.resolve(replays.has(index) ? 'replay' : 'recorded');
        } catch (error) {
          for (const each of batch) each.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Inserts the batch; the indexes that were replays (a duplicate key). */
  private async insert(batch: Pending[]): Promise<Set<number>> {
    try {
      await this.store.Message.collection.insertMany(batch.map((each) => each.doc) as never[], { ordered: false });
      return new Set();
    } catch (error) {
      const writeErrors = (error as { writeErrors?: Array<{ index: number; code?: number; err?: { code?: number } }> })
        .writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (list.length === 0) {
        if (batch.length === 1 && isDuplicateKeyError(error)) return new Set([0]);
        throw error;
      }
      if (!list.every((each) => (each.code ?? each.err?.code) === 11000)) throw error;
      return new Set(list.map((each) => each.index));
    }
  }

  /**
   * The pacing rule's runs against the number's last recorded send (in MongoDB, across processes):
   * sends answered out of the order they started count in the run; a send too soon after the last
   * one is flagged (rule `pacing`).
   */
  private async judgePacing(recorded: Pending[]): Promise<void> {
    if (recorded.length === 0) return;
    const sorted = [...recorded].sort((a, b) => a.at - b.at);
    const before = await this.store.Lane.findOneAndUpdate(
      { _id: this.connectionId },
      { $max: { lastAt: sorted.at(-1)!.at }, $inc: { sends: sorted.length } },
      { upsert: true, returnDocument: 'before' },
    ).lean();
    let state = { lastSentAt: before?.lastAt ?? null, runLength: before?.runLength ?? 0 };
    const flagged: Array<{ key: string; gapMs: number; requiredMs: number }> = [];
    for (const each of sorted) {
      if (state.lastSentAt !== null && each.at < state.lastSentAt) {
        // Recorded after a send that started later: part of the same run; its gap was judged when it arrived.
        state = { ...state, runLength: state.runLength + 1 };
        continue;
      }
      if (state.lastSentAt !== null && each.at < earliestNextSend(state, each.pacing))
        flagged.push({
          key: each.doc._id,
          gapMs: each.at - state.lastSentAt,
          requiredMs: requiredGap(state, each.pacing),
        });
      state = recordSend(state, each.pacing, each.at);
    }
    await this.store.Lane.updateOne({ _id: this.connectionId }, { $set: { runLength: state.runLength } });
    for (const violation of flagged)
      await this.store.Message.updateOne(
        { _id: violation.key },
        { $set: { violation: { rule: 'pacing', gapMs: violation.gapMs, requiredMs: violation.requiredMs } } },
      );
  }
}

const recorders = new WeakMap<object, Map<string, SandboxRecorder>>();

/** One recorder per sandbox store (database) and number in this process (gateways come and go, the batch stays). */
export function sandboxRecorderOf(store: SandboxStore, connectionId: string): SandboxRecorder {
  let byNumber = recorders.get(store);
  if (!byNumber) {
    byNumber = new Map();
    recorders.set(store, byNumber);
  }
  let recorder = byNumber.get(connectionId);
  if (!recorder) {
    recorder = new SandboxRecorder(store, connectionId);
    byNumber.set(connectionId, recorder);
  }
  return recorder;
}
