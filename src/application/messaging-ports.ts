import type { z } from 'zod';
import { type ReadyShipping, sendToLane } from '../../publishers/contact-prepared';
import { publishEvent } from '../../publishers/domain-event';
import type { Cause, MessageDefinition } from '../domain/events/envelope';
import type { PipelineDeps } from './pipeline-deps';

/** Publishes domain events (MessageDispatched, CampaignPaused, …) to every interested queue. */
export interface DomainEvents {
  publish<T extends string, P extends z.ZodType>(
    definition: MessageDefinition<T, P>,
    payload: z.input<P>,
    cause: Cause,
  ): Promise<unknown>;
}

/** Hands a stored shipping to its number's lane, to arrive there at its planned time. */
export interface LaneHandoff {
  toLane(shipping: ReadyShipping, cause: Cause, handoffMs?: number): Promise<void>;
}

export function brokerEvents(deps: Pick<PipelineDeps, 'publisher'>): DomainEvents {
  return { publish: (definition, payload, cause) => publishEvent(deps.publisher, definition, payload, cause) };
}

export function brokerLanes(deps: Pick<PipelineDeps, 'publisher' | 'queues' | 'now'>): LaneHandoff {
  return {
    toLane: (shipping, cause, handoffMs = 0) =>
      sendToLane(deps.publisher, deps.queues.lane(shipping.connectionId), shipping, cause, deps.now(), handoffMs),
  };
}
