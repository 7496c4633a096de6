import { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import type { Cause } from '../../domain/events/envelope';
import { ContactOptedIn, ContactOptedOut, type SuppressionSource } from '../../domain/events/suppression-messages';
import { isDuplicateKeyError } from '../../infrastructure/mongo/insert-new';
import type { Models } from '../../infrastructure/mongo/models';
import { cancelUnsentShippings } from '../contacts/contact-removal';
import type { PipelineDeps } from '../pipeline-deps';

export interface Suppress {
  companyId: string;
  /** E.164. */
  phone: string;
  source: SuppressionSource;
  keyword: string | null;
  connectionId: string | null;
  at: Date;
}

/**
 * Puts a phone on the company's suppression list, then cancels the messages of the company's
 * contact with that phone not yet sent (one already claimed for sending may still go; dispatch
 * checks the list again after every claim, so nothing claimed later is sent) and publishes
 * ContactOptedOut. Idempotent: a phone already suppressed changes nothing and publishes nothing
 * (a redelivered webhook, a replayed request). The write is a conditional upsert on the unique
 * (company, phone) index, so two concurrent opt-outs record one.
 */
export async function suppressPhone(
  deps: PipelineDeps,
  cause: Cause,
  input: Suppress,
): Promise<{ changed: boolean; cancelledShippings: number }> {
  const { Suppression, Contact } = deps.models;
  const companyId = new Types.ObjectId(input.companyId);
  try {
    await Suppression.findOneAndUpdate(
      { companyId, phone: input.phone, suppressed: { $ne: true } },
      {
        $set: {
          suppressed: true,
          source: input.source,
          keyword: input.keyword,
          connectionId: input.connectionId ? new Types.ObjectId(input.connectionId) : null,
          suppressedAt: input.at,
          liftedAt: null,
        },
      },
      { upsert: true },
    );
  } catch (error) {
    // The upsert collided with the phone's document, which is therefore suppressed already.
    if (isDuplicateKeyError(error)) return { changed: false, cancelledShippings: 0 };
    throw error;
  }
  const contact = await Contact.findOne({ companyId, phone: input.phone }, { _id: 1 }).lean();
  const cancelledShippings = contact ? await cancelUnsentShippings(deps, cause, contact._id, 'opted out') : 0;
  await publishEvent(
    deps.publisher,
    ContactOptedOut,
    {
      phone: input.phone,
      source: input.source,
      keyword: input.keyword,
      connectionId: input.connectionId,
      contactId: contact ? String(contact._id) : null,
      at: input.at.toISOString(),
      cancelledShippings,
    },
    cause,
  );
  deps.metrics.suppressionChanged('opted-out', input.source);
  deps.logger.info('phone suppressed', {
    companyId: input.companyId,
    source: input.source,
    keyword: input.keyword,
    cancelledShippings,
  });
  return { changed: true, cancelledShippings };
}

export interface Lift {
  companyId: string;
  phone: string;
  /** `opt-in`: the contact's own keyword, which lifts only a suppression its opt-out made. */
  source: 'opt-in' | 'api';
  keyword: string | null;
  connectionId: string | null;
  at: Date;
}

/**
 * Takes a phone off the list; publishes ContactOptedIn. A contact's opt-in keyword undoes its own
 * opt-out only: a suppression the company added (API, import) stays until the company lifts it.
 * Returns false when there was nothing (of that kind) to lift.
 */
export async function liftSuppression(deps: PipelineDeps, cause: Cause, input: Lift): Promise<boolean> {
  const lifted = await deps.models.Suppression.findOneAndUpdate(
    {
      companyId: new Types.ObjectId(input.companyId),
      phone: input.phone,
      suppressed: true,
      ...(input.source === 'opt-in' ? { source: 'opt-out' } : {}),
    },
    { $set: { suppressed: false, liftedAt: input.at } },
  ).lean();
  if (!lifted) return false;
  await publishEvent(
    deps.publisher,
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
  deps.metrics.suppressionChanged('opted-in', input.source);
  return true;
}

/** Whether the company may not message this phone (the exact-key lookup every index serves). */
export async function isSuppressed(
  models: Pick<Models, 'Suppression'>,
  companyId: Types.ObjectId,
  phone: string,
): Promise<boolean> {
  const found = await models.Suppression.findOne({ companyId, phone }, { suppressed: 1 }).lean();
  return found?.suppressed === true;
}
