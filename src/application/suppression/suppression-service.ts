import type { Readable } from 'node:stream';
import type { Types } from 'mongoose';
import { normalisePhone } from '../../domain/contacts/phone';
import type { Cause } from '../../domain/events/envelope';
import { ContactOptedIn, ContactOptedOut } from '../../domain/events/suppression-messages';
import { DEFAULT_OPT_OUT, intentOf } from '../../domain/suppression/opt-out-keywords';
import type { Logger } from '../../infrastructure/observability/logger';
import type { DomainEvents } from '../messaging-ports';
import { readSuppressionCsv, type SuppressionImportReport } from './suppression-import';
import type { SuppressionEntry, SuppressionRepository } from './suppression-repository';

/** A message a contact sent to one of the company's numbers, from whichever gateway received it. */
export interface InboundMessage {
  companyId: string;
  connectionId: string;
  /** The sender's phone as the gateway gives it (E.164, or digits with the country code). */
  from: string;
  text: string;
  at: Date;
  /** Which gateway received it (`cloud-api`, `sandbox`, `whatsapp-web`, …): logged, not trusted for anything. */
  source: string;
}

export type InboundOutcome =
  | { action: 'opted-out'; phone: string; changed: boolean; cancelledShippings: number }
  | { action: 'opted-in'; phone: string; changed: boolean }
  | { action: 'none'; phone: string | null };

/** A phone to put on the list (what an opt-out keyword, the API or an import gives). */
export type Suppress = SuppressionEntry;

export interface Lift {
  companyId: string;
  phone: string;
  /** `opt-in`: the contact's own keyword, which lifts only a suppression its opt-out made. */
  source: 'opt-in' | 'api';
  keyword: string | null;
  connectionId: string | null;
  at: Date;
}

export interface SuppressionServiceDeps {
  suppressions: SuppressionRepository;
  /** Cancels the contact's shippings not yet sent, completing campaigns left empty (ContactService.cancelUnsent). */
  cancelUnsent(cause: Cause, contactId: Types.ObjectId, reason: string): Promise<number>;
  events: DomainEvents;
  metrics: { suppressionChanged(change: 'opted-out' | 'opted-in', source: string, count?: number): void };
  logger: Logger;
  now(): number;
}

/**
 * Owns a company's suppression list: a phone suppressed (opt-out keyword, API, CSV import) or
 * lifted (opt-in keyword, API), and the inbound messages that do either. Withdrawing a shipping
 * claimed for a suppressed phone stays with ShippingService (dispatch-guard.ts asks `isSuppressed`).
 */
export class SuppressionService {
  constructor(private readonly deps: SuppressionServiceDeps) {}

  /**
   * Puts a phone on the company's suppression list, then cancels the messages of the company's
   * contact with that phone not yet sent (one already claimed for sending may still go; dispatch
   * checks the list again after every claim, so nothing claimed later is sent) and publishes
   * ContactOptedOut. Idempotent: a phone already suppressed changes nothing and publishes nothing
   * (a redelivered webhook, a replayed request).
   */
  async suppress(cause: Cause, input: Suppress): Promise<{ changed: boolean; cancelledShippings: number }> {
    if (!(await this.deps.suppressions.suppress(input))) return { changed: false, cancelledShippings: 0 };
    const contactId = await this.deps.suppressions.contactWithPhone(input.companyId, input.phone);
    const cancelledShippings = contactId ? await this.deps.cancelUnsent(cause, contactId, 'opted out') : 0;
    await this.deps.events.publish(
      ContactOptedOut,
      {
        phone: input.phone,
        source: input.source,
        keyword: input.keyword,
        connectionId: input.connectionId,
        contactId: contactId ? String(contactId) : null,
        at: input.at.toISOString(),
        cancelledShippings,
      },
      cause,
    );
    this.deps.metrics.suppressionChanged('opted-out', input.source);
    this.deps.logger.info('phone suppressed', {
      companyId: input.companyId,
      source: input.source,
      keyword: input.keyword,
      cancelledShippings,
    });
    return { changed: true, cancelledShippings };
  }

  /**
   * Takes a phone off the list; publishes ContactOptedIn. A contact's opt-in keyword undoes its own
   * opt-out only: a suppression the company added (API, import) stays until the company lifts it.
   * Returns false when there was nothing (of that kind) to lift.
   */
  async lift(cause: Cause, input: Lift): Promise<boolean> {
    const lifted = await this.deps.suppressions.lift(input.companyId, input.phone, input.at, input.source === 'opt-in');
    if (!lifted) return false;
    await this.deps.events.publish(
      ContactOptedIn,
      {
        phone: input.phone,
        source: input.source,
        keyword: input.keyword,
        connectionId: input.connectionId,
        at: input.at.toISOString(),
      },
      cause,
    );
    this.deps.metrics.suppressionChanged('opted-in', input.source);
    return true;
  }

  /** Whether the company may not message this phone (the exact-key lookup every index serves). */
  isSuppressed(companyId: Types.ObjectId | string, phone: string): Promise<boolean> {
    return this.deps.suppressions.isSuppressed(String(companyId), phone);
  }

  /** `isSuppressed` for a batch of phones (a throughput lane's): those on the list. */
  suppressedAmong(companyId: Types.ObjectId | string, phones: string[]): Promise<Set<string>> {
    return this.deps.suppressions.suppressedAmong(String(companyId), [...new Set(phones)]);
  }

  /**
   * Imports a CSV of phones (a `phone` column) into the company's list as it streams in, a round of
   * writes per 1000 rows (suppression-import.ts reads the rows). A phone already suppressed keeps
   * its original source; a lifted one is suppressed again. Messages already planned for these
   * phones are not looked for here: dispatch checks the list before every send and cancels them.
   */
  async importCsv(
    company: { companyId: string; defaultRegion: string },
    input: Readable,
  ): Promise<SuppressionImportReport> {
    const report = await readSuppressionCsv(input, company.defaultRegion, (phones) =>
      this.deps.suppressions.suppressAll(company.companyId, phones, new Date(this.deps.now())),
    );
    this.deps.metrics.suppressionChanged('opted-out', 'import', report.suppressed);
    return report;
  }

  /**
   * An inbound message, whatever gateway received it: one of the company's opt-out keywords puts
   * the sender on the list (its unsent messages cancelled), an opt-in keyword undoes its own
   * opt-out, anything else changes nothing. Idempotent: the same message again finds the state
   * already as it leaves it.
   */
  async receive(message: InboundMessage, cause: Cause): Promise<InboundOutcome> {
    const company = await this.deps.suppressions.optOutSettingsOf(message.companyId);
    if (!company) return { action: 'none', phone: null };
    const intent = intentOf(message.text, company.optOut ?? DEFAULT_OPT_OUT);
    const parsed = normalisePhone(message.from, company.defaultRegion);
    if (intent.kind === 'none' || !parsed.valid) {
      if (intent.kind !== 'none')
        this.deps.logger.warn('opt-out keyword from a phone that is not a valid number; ignored', {
          connectionId: message.connectionId,
          source: message.source,
        });
      return { action: 'none', phone: parsed.valid ? parsed.e164 : null };
    }
    const common = {
      companyId: message.companyId,
      phone: parsed.e164,
      keyword: intent.keyword,
      connectionId: message.connectionId,
      at: message.at,
    };
    if (intent.kind === 'opt-out') {
      const result = await this.suppress(cause, { ...common, source: 'opt-out' });
      return { action: 'opted-out', phone: parsed.e164, ...result };
    }
    const changed = await this.lift(cause, { ...common, source: 'opt-in' });
    return { action: 'opted-in', phone: parsed.e164, changed };
  }
}
