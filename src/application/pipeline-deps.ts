import type { Models } from '../infrastructure/mongo/models';
import type { Logger } from '../infrastructure/observability/logger';
import type { Metrics } from '../infrastructure/observability/metrics';
import type { Broker } from '../infrastructure/rabbitmq/broker';
import type { Publisher } from '../infrastructure/rabbitmq/publisher';
import { laneTopology, type queues, type TopologySettings } from '../topology';
import type { LanePacing } from './shippings/lane-pacing';

/** What the campaign pipeline's use cases and consumers need, built once per process. */
export interface PipelineDeps {
  models: Models;
  lanes: LanePacing;
  publisher: Publisher;
  broker: Broker;
  topology: TopologySettings;
  queues: ReturnType<typeof queues>;
  logger: Logger;
  metrics: Metrics;
  now(): number;
}

/**
 * Declares a connection's lane queue (idempotent). Lanes are durable quorum queues: they outlive a
 * reconnect, so they are not declared again on every new channel (thousands of them would stall it).
 */
export async function declareLane(
  deps: Pick<PipelineDeps, 'broker' | 'topology'>,
  connectionId: string,
): Promise<void> {
  await deps.broker.declareOnce(laneTopology(deps.topology, connectionId));
}
