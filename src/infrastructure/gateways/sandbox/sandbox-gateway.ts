import { randomUUID } from 'node:crypto';
import type { PacingSettings } from '../../../domain/pacing/pacing-settings';
import { throughputGapMs } from '../../../domain/pacing/send-window';
import { windowAt, type ZonedSchedule } from '../../../domain/pacing/sending-window';
import {
  type ContactPage,
  GatewayError,
  type OutgoingMessage,
  type SendReceipt,
  type WhatsAppGateway,
} from '../../../domain/whatsapp/gateway';
import type { CatalogTemplate } from '../../../domain/whatsapp/templates';
import { sandboxKeys } from './sandbox-keys';
import { sandboxRecorderOf } from './sandbox-recorder';
import type { SandboxStore } from './sandbox-store';
import { SANDBOX_TEMPLATES } from './sandbox-templates';
import { preciseNow, startGapJudgeOf } from './start-gap-judge';

/** Contacts per page of the sandbox's address book. */
export const SANDBOX_CONTACT_PAGE = 1_000;

export interface SandboxBehaviour {
  /** The simulated provider's round trip: each send answers this long after it arrived. */
  latencyMs: number;
  /** Share of sends answered with a transient error. */
  failureRate: number;
  /** Share of sends answered with a throughput limit (the whole number must cool down). */
  rateLimitRate?: number;
  /**
   * The throughput the simulated provider allows the number (per second; null: none): a send that
   * starts sooner than 1/throughput after the previous start is a violation (rule `start-gap`).
   */
  throughputPerSec?: number | null;
  random?: () => number;
}

/**
 * The embedded WhatsApp provider used by the demo and the tests. It stores every message it
 * "sends" (durably, in MongoDB), answers a repeated idempotency key with the first receipt
 * instead of sending again, and judges each send against the number's pacing rule on its own,
 * flagging any that came too soon: its start against the previous start (the pacing gap, or
 * 1/throughput when that is longer; sends may overlap), and the rule's runs against the number's
 * last recorded send (in MongoDB, across processes).
 */
export class SandboxGateway implements WhatsAppGateway {
  readonly kind = 'sandbox';
  readonly idempotent = true;

  constructor(
    private readonly store: SandboxStore,
    private readonly connectionId: string,
    /** The company's rule: the floor no send may break, whatever the campaign. */
    private readonly pacing: PacingSettings,
    private readonly behaviour: SandboxBehaviour,
    /** The company's sending windows: a send outside them is a violation too. */
    private readonly window: ZonedSchedule | null = null,
    /**
     * The daily caps at a moment (null: none): more unique recipients in 24 h than the number's, or
     * than the company's over all its numbers, is a violation.
     */
    private readonly caps: {
      number: (at: number) => number | null;
      company?: { companyId: string; capAt: (at: number) => number | null };
    } = { number: () => null },
  ) {}

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    // Judged the moment the send arrives, before anything asynchronous: starts are judged in order.
    const startedAt = preciseNow();
    const starts = startGapJudgeOf(this.store);
    const previousStart = starts.lastStartOf(this.connectionId);
    const tooSoon = starts.judge(this.connectionId, startedAt, {
      pacingMs: this.pacing.messageIntervalMs,
      throughputMs: throughputGapMs(this.behaviour.throughputPerSec ?? null),
    });
    const random = this.behaviour.random ?? Math.random;
    // The wall clock, as before (receipts pace the lane, whose clock is Date's); the judge above uses gaps only.
    const receivedAt = new Date();
    if (this.behaviour.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.behaviour.latencyMs));
    if (random() < this.behaviour.failureRate)
      throw new GatewayError('retry', 'sandbox: simulated transient failure', 'SANDBOX_UNAVAILABLE');
    if (random() < (this.behaviour.rateLimitRate ?? 0)) {
      throw new GatewayError('lane-backoff', 'sandbox: simulated throughput limit', '130429', 1_000, true);
    }
    // The unique _id answers a repeated idempotency key: the first receipt comes back, nothing is sent again.
    const providerMessageId = `sandbox.${randomUUID()}`;
    // Stored (and judged against the pacing rule) before the answer, in a batch with the sends answered meanwhile.
    const outcome = await sandboxRecorderOf(this.store, this.connectionId).record(
      {
        _id: message.idempotencyKey,
        connectionId: this.connectionId,
        companyId: this.caps.company?.companyId ?? null,
        to: message.to,
        text: message.text,
        mediaUrl: message.mediaUrl ?? null,
        template: message.template ?? null,
        providerMessageId,
        receivedAt,
        violation: tooSoon ? { rule: 'start-gap', ...tooSoon } : null,
      },
      receivedAt.getTime(),
      this.pacing,
    );
    if (outcome === 'replay') {
      // A replay (a lane taking over a send in flight) sends nothing: it was no start.
      starts.withdraw(this.connectionId, startedAt, previousStart);
      const first = await this.store.Message.findById(message.idempotencyKey).lean();
      return { providerMessageId: first!.providerMessageId, acceptedAt: first!.receivedAt };
    }
    await this.judgeWindow(message.idempotencyKey, receivedAt.getTime());
    await this.judgeCap(message.idempotencyKey, receivedAt.getTime());
    return { providerMessageId, acceptedAt: receivedAt };
  }

  async findSent(idempotencyKey: string): Promise<SendReceipt | null> {
    const sent = await this.store.Message.findById(idempotencyKey, { providerMessageId: 1, receivedAt: 1 }).lean();
    return sent ? { providerMessageId: sent.providerMessageId, acceptedAt: sent.receivedAt } : null;
  }

  /** Every sandbox number has the same small built-in catalogue (see sandbox-templates). */
  async listTemplates(): Promise<CatalogTemplate[]> {
    return structuredClone([...SANDBOX_TEMPLATES]);
  }

  /** What the simulated WhatsApp knows of the numbers it listed last (bounded), so checks need no query. */
  private readonly known = new Map<string, boolean>();

  /**
   * Pages through the seeded address book in the order it was seeded; the cursor is the page
   * number. A page is one document read by `_id`.
   */
  async listContacts(cursor: string | null): Promise<ContactPage> {
    const page = cursor && /^\d+$/.test(cursor) ? Number(cursor) : 0;
    const [book, stored] = await Promise.all([
      this.store.Book.findById(this.connectionId).lean(),
      this.store.Page.findById(sandboxKeys.page(this.connectionId, page)).lean(),
    ]);
    const entries = Object.entries(stored?.entries ?? {})
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, entry]) => entry);
    for (const entry of entries) if (entry.e164) this.known.set(entry.e164, entry.onWhatsApp !== false);
    // Keep the last few pages only (the oldest entries first out): a caller reads one page ahead.
    for (const oldest of this.known.keys()) {
      if (this.known.size <= 3 * SANDBOX_CONTACT_PAGE) break;
      this.known.delete(oldest);
    }
    const contacts = entries.map((entry) => ({ phone: entry.phone, ...(entry.name ? { name: entry.name } : {}) }));
    const lastPage = Math.floor(((book?.entries ?? 0) - 1) / SANDBOX_CONTACT_PAGE);
    return { contacts, next: page < lastPage ? String(page + 1) : null };
  }

  /** A number seeded as off WhatsApp answers false; every other number is on WhatsApp. */
  async checkNumbers(phones: string[]): Promise<Map<string, boolean>> {
    const unknown = phones.filter((phone) => !this.known.has(phone));
    const off = new Set<string>();
    if (unknown.length > 0) {
      const keys = unknown.map((phone) => sandboxKeys.offNumber(this.connectionId, phone));
      const docs = await this.store.OffNumber.find({ _id: { $in: keys } }, { _id: 1 }).lean();
      for (const doc of docs) off.add(doc._id.slice(this.connectionId.length + 1));
    }
    return new Map(phones.map((phone) => [phone, this.known.get(phone) ?? !off.has(phone)]));
  }

  /** A send received while the company's windows are closed is flagged (rule `window`). */
  private async judgeWindow(key: string, at: number): Promise<void> {
    if (!this.window || windowAt(this.window.schedule, this.window.zone, at).open) return;
    await this.store.Message.updateOne(
      { _id: key },
      { $set: { violation: { rule: 'window', gapMs: 0, requiredMs: 0 } } },
    );
  }

  /**
   * More unique recipients in the 24 h up to this send than the number's cap allows, or than the
   * company's allows over all its numbers (rule `cap`; `gapMs` holds the count, `requiredMs` the cap).
   */
  private async judgeCap(key: string, at: number): Promise<void> {
    const company = this.caps.company;
    const scopes = [
      { filter: { connectionId: this.connectionId }, limit: this.caps.number(at) },
      ...(company ? [{ filter: { companyId: company.companyId }, limit: company.capAt(at) }] : []),
    ];
    for (const { filter, limit } of scopes) {
      if (limit === null) continue;
      const recent = await this.store.Message.find(
        { ...filter, receivedAt: { $gt: new Date(at - 86_400_000), $lte: new Date(at) } },
        { to: 1 },
      ).lean();
      const recipients = new Set(recent.map((message) => message.to)).size;
      if (recipients > limit) {
        await this.store.Message.updateOne(
          { _id: key },
          { $set: { violation: { rule: 'cap', gapMs: recipients, requiredMs: limit } } },
        );
        return;
      }
    }
  }
}
