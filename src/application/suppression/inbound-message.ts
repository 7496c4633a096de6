import { normalisePhone } from '../../domain/contacts/phone';
import { type Cause, newCorrelation } from '../../domain/events/envelope';
import { DEFAULT_OPT_OUT, intentOf } from '../../domain/suppression/opt-out-keywords';
import type { PipelineDeps } from '../pipeline-deps';
import { liftSuppression, suppressPhone } from './suppression-list';

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

/**
 * The one entry point for inbound messages, whatever gateway received them (the Cloud API webhook,
 * the sandbox, WhatsApp Web): an answer that is one of the company's opt-out keywords puts the
 * sender on the suppression list (its unsent messages are cancelled), an opt-in keyword undoes its
 * own opt-out, anything else is an ordinary message and changes nothing. Idempotent: the same
 * message again (a redelivered webhook) finds the state already as it leaves it.
 */
export async function receiveInboundMessage(
  deps: PipelineDeps,
  message: InboundMessage,
  cause: Cause = newCorrelation(message.companyId),
): Promise<InboundOutcome> {
  const company = await deps.models.Company.findById(message.companyId, { defaultRegion: 1, optOut: 1 }).lean();
  if (!company) return { action: 'none', phone: null };
  const intent = intentOf(message.text, company.optOut ?? DEFAULT_OPT_OUT);
  const parsed = normalisePhone(message.from, company.defaultRegion ?? 'BR');
  if (intent.kind === 'none' || !parsed.valid) {
    if (intent.kind !== 'none')
      deps.logger.warn('opt-out keyword from a phone that is not a valid number; ignored', {
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
    const result = await suppressPhone(deps, cause, { ...common, source: 'opt-out' });
    return { action: 'opted-out', phone: parsed.e164, ...result };
  }
  const changed = await liftSuppression(deps, cause, { ...common, source: 'opt-in' });
  return { action: 'opted-in', phone: parsed.e164, changed };
}
