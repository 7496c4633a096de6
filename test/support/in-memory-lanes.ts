import type { LaneRecord, LaneStore, SendInFlight, WindowedSend } from '../../src/application/shippings/lane-pacing';
import { IDLE_LANE, type LaneState } from '../../src/domain/pacing/pacing-rule';
import type { RateState } from '../../src/domain/pacing/rate-adaptation';

/**
 * Lane records in a Map, with MongoDB's compare-and-set on `version` for `planned`. `beforeReplace`
 * runs before each compare-and-set: a test plays another process there (reserves first, so this
 * round loses).
 */
export class InMemoryLaneStore implements LaneStore {
  readonly records = new Map<string, LaneRecord>();
  beforeReplace: ((connectionId: string) => Promise<void> | void) | null = null;

  async ensure(connectionId: string, _companyId: string): Promise<LaneRecord> {
    let record = this.records.get(connectionId);
    if (!record) {
      record = {
        sent: IDLE_LANE,
        planned: IDLE_LANE,
        inFlight: null,
        coolDownUntil: null,
        window: [],
        lastStartAt: null,
        rate: null,
        version: 0,
      };
      this.records.set(connectionId, record);
    }
    return structuredClone(record);
  }

  async replacePlanned(connectionId: string, version: number, planned: LaneState): Promise<boolean> {
    await this.beforeReplace?.(connectionId);
    const record = this.records.get(connectionId);
    if (!record || record.version !== version) return false;
    this.records.set(connectionId, { ...record, planned: { ...planned }, version: version + 1 });
    return true;
  }

  async recordSent(connectionId: string, sent: LaneState): Promise<void> {
    const record = this.records.get(connectionId);
    if (record) this.records.set(connectionId, { ...record, sent: { ...sent }, inFlight: null });
  }

  async setInFlight(connectionId: string, inFlight: SendInFlight): Promise<void> {
    const record = this.records.get(connectionId);
    if (record) this.records.set(connectionId, { ...record, inFlight: { ...inFlight } });
  }

  async extendCoolDown(connectionId: string, until: number): Promise<void> {
    const record = this.records.get(connectionId);
    if (record && (record.coolDownUntil === null || record.coolDownUntil < until))
      this.records.set(connectionId, { ...record, coolDownUntil: until });
  }

  async settle(connectionId: string, sent: LaneState): Promise<void> {
    const record = this.records.get(connectionId);
    if (record) this.records.set(connectionId, { ...record, sent: { ...sent }, inFlight: null, window: [] });
  }

  async openWindow(connectionId: string, sent: LaneState, sends: WindowedSend[]): Promise<void> {
    const record = this.records.get(connectionId);
    if (record)
      this.records.set(connectionId, {
        ...record,
        sent: { ...sent },
        window: [...record.window, ...sends.map((each) => ({ ...each }))],
      });
  }

  async closeWindow(connectionId: string, shippingIds: string[], lastStartAt: number): Promise<void> {
    const record = this.records.get(connectionId);
    if (!record) return;
    const closed = new Set(shippingIds);
    this.records.set(connectionId, {
      ...record,
      window: record.window.filter((each) => !closed.has(each.shippingId)),
      lastStartAt: Math.max(record.lastStartAt ?? lastStartAt, lastStartAt),
    });
  }

  async settleIf(connectionId: string, expected: LaneState, sent: LaneState): Promise<boolean> {
    const record = this.records.get(connectionId);
    if (!record || record.sent.lastSentAt !== expected.lastSentAt || record.sent.runLength !== expected.runLength)
      return false;
    this.records.set(connectionId, { ...record, sent: { ...sent }, inFlight: null, window: [] });
    return true;
  }

  async saveRate(connectionId: string, rate: RateState | null): Promise<void> {
    const record = this.records.get(connectionId);
    if (record) this.records.set(connectionId, { ...record, rate: rate && { ...rate } });
  }
}
