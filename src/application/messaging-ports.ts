import type { z } from 'zod';
import { sendCampaignDue } from '../../publishers/campaign-due';
import { type ReadyShipping, sendToLane } from '../../publishers/contact-prepared';
import { publishEvent } from '../../publishers/domain-event';
import { sendPrepareContacts } from '../../publishers/prepare-contacts';
import type { Cause, Envelope, MessageDefinition } from '../domain/events/envelope';
import type { CampaignCommands } from './campaigns/campaign-repository';
import type { PipelineDeps } from './pipeline-deps';

/** Publishes domain events (MessageDispatched, CampaignPaused, …) to every interested queue. */
export interface DomainEvents {
  publish<T extends string, P extends z.ZodType>(
    definition: MessageDefinition<T, P>,
    payload: z.input<P>,
    cause: Cause,
  ): Promise<unknown>;
  /** Publishes an envelope built (and stored) beforehand, as it is: same eventId every time. */
  publishMessage<T extends string, P extends z.ZodType>(
    definition: MessageDefinition<T, P>,
    message: Envelope<T, unknown>,
  ): Promise<void>;
}

/** Hands a stored shipping to its number's lane, to arrive there at its planned time. */
export interface LaneHandoff {
  toLane(shipping: ReadyShipping, cause: Cause, handoffMs?: number): Promise<void>;
}

export function brokerEvents(deps: Pick<PipelineDeps, 'publisher'>): DomainEvents {
  return {
    publish: (definition, payload, cause) => publishEvent(deps.publisher, definition, payload, cause),
    publishMessage: (definition, message) => deps.publisher.publish(definition, message),
  };
}

export function brokerLanes(deps: Pick<PipelineDeps, 'publisher' | 'queues' | 'now'>): LaneHandoff {
  return {
    toLane: (shipping, cause, handoffMs = 0) =>
      sendToLane(deps.publisher, deps.queues.lane(shipping.connectionId), shipping, cause, deps.now(), handoffMs),
  };
}

export function brokerCampaignCommands(deps: Pick<PipelineDeps, 'publisher' | 'queues'>): CampaignCommands {
  return {
    sendDue: (campaign, cause, now) =>
      sendCampaignDue(deps.publisher, deps.queues.campaignProcess, campaign, cause, now),
    sendPrepare: (batch, cause) => sendPrepareContacts(deps.publisher, deps.queues.contactPrepare, batch, cause),
  };
}
