import { MongoCampaignCounters, MongoShippingRepository } from '../infrastructure/mongo/shipping-store';
import { completeIfDone } from './campaign-completion';
import { brokerEvents, brokerLanes } from './messaging-ports';
import type { PipelineDeps } from './pipeline-deps';
import { ShippingService } from './shippings/shipping-service';

const shippingServices = new WeakMap<PipelineDeps, ShippingService>();

/** The shipping service on this process's MongoDB and broker (one per set of pipeline dependencies). */
export function shippingsOf(deps: PipelineDeps): ShippingService {
  let service = shippingServices.get(deps);
  if (!service) {
    service = new ShippingService({
      shippings: new MongoShippingRepository(deps.models),
      counters: new MongoCampaignCounters(deps.models),
      events: brokerEvents(deps),
      lanes: brokerLanes(deps),
      completeIfDone: (campaignId, cause) => completeIfDone(deps, campaignId, cause),
      now: () => deps.now(),
    });
    shippingServices.set(deps, service);
  }
  return service;
}
