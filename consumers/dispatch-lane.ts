import { type DispatchDeps, dispatchShipping } from '../src/application/shippings/dispatch';
import type { ThroughputLanes } from '../src/application/shippings/throughput-lane';
import type { ContactPrepared } from '../src/domain/events/dispatch-messages';
import type { MessageOf } from '../src/domain/events/envelope';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

export type { DispatchDeps } from '../src/application/shippings/dispatch';

/**
 * `<prefix>.lane.<connectionId>` ← ContactPrepared, at its planned time (the `dispatch`
 * subscription in src/topology.ts: prefetch 1, single active consumer, so one worker sends for the
 * number at a time). What a send checks and records is the dispatch use case's
 * (src/application/shippings/dispatch.ts).
 */
export function dispatchLaneConsumer(
  deps: DispatchDeps,
  connectionId: string,
): ConsumerHandler<MessageOf<typeof ContactPrepared>> {
  return { handle: (message, { logger }) => dispatchShipping(deps, connectionId, message, logger) };
}

/**
 * The same queue for a number in throughput mode (src/domain/pacing/lane-mode.ts), consumed with a
 * prefetch above 1: each delivery is handed to the number's throughput lane, which sends in batches
 * and resolves once this message's shipping is recorded (then it is acked; a failure is retried).
 */
export function throughputLaneConsumer(
  lanes: ThroughputLanes,
  connectionId: string,
): ConsumerHandler<MessageOf<typeof ContactPrepared>> {
  return { handle: (message, { logger }) => lanes.of(connectionId).submit(message, logger) };
}
