import type { PipelineDeps } from '../application/pipeline-deps';
import { LanePacing } from '../application/shippings/lane-pacing';
import type { CloudApiOptions } from '../infrastructure/gateways/cloud-api/cloud-api-gateway';
import { createGatewayProvider, type GatewayProvider } from '../infrastructure/gateways/gateway-provider';
import { type WhatsAppWebStore, whatsappWebStore } from '../infrastructure/gateways/whatsapp-web/web-store';
import type { WhatsAppWebOptions } from '../infrastructure/gateways/whatsapp-web/whatsapp-web-gateway';
import { DispatchMembership } from '../infrastructure/mongo/dispatch-membership';
import { MongoLaneStore } from '../infrastructure/mongo/lane-store';
import { ensureIndexes, modelsOf } from '../infrastructure/mongo/models';
import { queues } from '../topology';
import type { Services } from './services';

const built = new WeakMap<Services, Promise<PipelineDeps>>();

/**
 * The campaign pipeline's dependencies for this process, built once per Services (the API, the
 * worker and the demo of `disparo start` share them); creates the indexes the invariants rely on.
 */
export function pipelineDeps(services: Services): Promise<PipelineDeps> {
  let deps = built.get(services);
  if (!deps) {
    deps = buildPipelineDeps(services);
    built.set(services, deps);
    // A failed build (an index creation the database refused for a moment, say) is not kept:
    // otherwise every later request needing the pipeline would answer 500 until a restart.
    deps.catch(() => {
      if (built.get(services) === deps) built.delete(services);
    });
  }
  return deps;
}

async function buildPipelineDeps(services: Services): Promise<PipelineDeps> {
  const models = modelsOf(services.mongo);
  await ensureIndexes(models);
  const topology = { prefix: services.config.TOPOLOGY_PREFIX, deliveryLimit: services.config.QUEUE_DELIVERY_LIMIT };
  return {
    models,
    lanes: new LanePacing(new MongoLaneStore(models)),
    publisher: services.publisher,
    broker: services.broker,
    topology,
    queues: queues(topology.prefix),
    logger: services.logger,
    metrics: services.metrics,
    now: () => Date.now(),
  };
}

/**
 * The gateways (sandbox, Cloud API, WhatsApp Web) of this process's connections, read from its
 * database: the one place a role builds them, so roles hand a provider around and never models.
 */
export function gatewaysOf(
  services: Services,
  pipeline: PipelineDeps,
  cloudApi: CloudApiOptions,
  whatsappWeb: WhatsAppWebOptions | null = null,
): GatewayProvider {
  return createGatewayProvider(pipeline.models, services.mongo, undefined, cloudApi, whatsappWeb);
}

/** The dispatch workers' membership (heartbeats in this process's database), for the lane supervisor. */
export function dispatchMembershipOf(
  pipeline: PipelineDeps,
  memberId: string,
  ttlMs: number,
  identity: { host: string; pid: number },
): DispatchMembership {
  return new DispatchMembership(pipeline.models.Connection.db, memberId, ttlMs, identity);
}

/** The WhatsApp Web gateway's own store (leases, sealed sessions, pairing records) in this process's database. */
export function whatsappWebStoreOf(pipeline: PipelineDeps): WhatsAppWebStore {
  return whatsappWebStore(pipeline.models.Connection.db);
}
