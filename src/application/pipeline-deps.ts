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

/** Lanes this process has declared for campaign processing, per broker. */
const declaredLanes = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Declares a connection's lane before a campaign's first shipping is handed to it, once per process:
 * lanes are declared when their connection is created or connected and are never deleted, and a
 * dispatch worker declares one it finds missing, so asking the broker again for every campaign
 * only added a round trip before each campaign's first send. A hand-off that finds the lane
 * missing (every message is mandatory: the publish fails) forgets it (`forgetLane`), so the
 * processing that retries declares it again.
 */
export function declareLaneOnce(deps: Pick<PipelineDeps, 'broker' | 'topology'>, connectionId: string): Promise<void> {
  let lanes = declaredLanes.get(deps.broker);
  if (!lanes) {
    lanes = new Map();
    declaredLanes.set(deps.broker, lanes);
  }
  let declared = lanes.get(connectionId);
  if (!declared) {
    const declaring = declareLane(deps, connectionId);
    lanes.set(connectionId, declaring);
    declaring.catch(() => {
      if (lanes.get(connectionId) === declaring) lanes.delete(connectionId);
    });
    declared = declaring;
  }
  return declared;
}

/** Forgets that this process declared a lane (a hand-off to it failed): the next campaign declares it again. */
export function forgetLane(deps: Pick<PipelineDeps, 'broker'>, connectionId: string): void {
  declaredLanes.get(deps.broker)?.delete(connectionId);
}
