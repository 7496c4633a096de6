import { publishEvent } from '../../publishers/domain-event';
import { ContactsChanged } from '../domain/events/contact-messages';
import { MongoGatewayAddressBooks } from '../infrastructure/mongo/address-book-store';
import {
  MongoCampaignAudience,
  MongoCampaignRepository,
  MongoCampaignShippings,
  MongoCompanySending,
  MongoSendingNumbers,
  MongoSuppressedPhones,
} from '../infrastructure/mongo/campaign-store';
import { MongoApiKeyStore, MongoCompanyRepository } from '../infrastructure/mongo/company-store';
import { MongoConnectionRepository, MongoPairingRecords } from '../infrastructure/mongo/connection-store';
import { MongoContactImports, MongoContactRepository } from '../infrastructure/mongo/contact-store';
import { MongoContactSyncRuns } from '../infrastructure/mongo/contact-sync-store';
import { MongoCapStore } from '../infrastructure/mongo/recipient-caps';
import { MongoCampaignCounters, MongoShippingRepository } from '../infrastructure/mongo/shipping-store';
import { MongoSuppressionRepository } from '../infrastructure/mongo/suppression-store';
import { CampaignService } from './campaigns/campaign-service';
import { CompanyService } from './companies/company-accounts';
import { ConnectionService } from './connections/connection-lifecycle';
import { AddressBookService } from './contacts/address-book-service';
import { ContactService } from './contacts/contact-book';
import { ContactSyncService } from './contacts/contact-sync-service';
import { brokerCampaignCommands, brokerEvents, brokerLanes } from './messaging-ports';
import { declareLane, type PipelineDeps } from './pipeline-deps';
import { ReadService } from './queries/read-service';
import { CapReservations } from './shippings/cap-reservations';
import { ShippingService } from './shippings/shipping-service';
import { SuppressionService } from './suppression/suppression-service';

const shippingServices = new WeakMap<PipelineDeps, ShippingService>();
const campaignServices = new WeakMap<PipelineDeps, CampaignService>();

/** The shipping service on this process's MongoDB and broker (one per set of pipeline dependencies). */
export function shippingsOf(deps: PipelineDeps): ShippingService {
  let service = shippingServices.get(deps);
  if (!service) {
    service = new ShippingService({
      shippings: new MongoShippingRepository(deps.models),
      counters: new MongoCampaignCounters(deps.models),
      events: brokerEvents(deps),
      lanes: brokerLanes(deps),
      completeIfDone: (campaignId, cause) => campaignsOf(deps).completeIfDone(campaignId, cause),
      now: () => deps.now(),
    });
    shippingServices.set(deps, service);
  }
  return service;
}

/** The campaign service on this process's MongoDB and broker (one per set of pipeline dependencies). */
export function campaignsOf(deps: PipelineDeps): CampaignService {
  let service = campaignServices.get(deps);
  if (!service) {
    service = new CampaignService({
      campaigns: new MongoCampaignRepository(deps.models),
      audience: new MongoCampaignAudience(deps.models),
      shippings: new MongoCampaignShippings(deps.models),
      shippingChanges: {
        replan: (shipping, plannedAt, cause) => shippingsOf(deps).replan(shipping, plannedAt, cause),
        cancelCampaign: (campaignId) => shippingsOf(deps).cancelCampaign(campaignId),
        reassign: (shipping, from, to, plannedAt, cause) =>
          shippingsOf(deps).reassign(shipping, from, to, plannedAt, cause),
      },
      companies: new MongoCompanySending(deps.models),
      suppressions: new MongoSuppressedPhones(deps.models),
      lanes: {
        declare: (connectionId) => declareLane(deps, connectionId),
        reserve: (connectionId, companyId, settings, startAt, count, limits) =>
          deps.lanes.reserve(connectionId, companyId, settings, startAt, count, limits),
      },
      numbers: new MongoSendingNumbers(deps.models),
      commands: brokerCampaignCommands(deps),
      events: brokerEvents(deps),
      logger: deps.logger,
      now: () => deps.now(),
    });
    campaignServices.set(deps, service);
  }
  return service;
}

const connectionServices = new WeakMap<PipelineDeps, ConnectionService>();

/** The connection service on this process's MongoDB and broker (one per set of pipeline dependencies). */
export function connectionsOf(deps: PipelineDeps): ConnectionService {
  let service = connectionServices.get(deps);
  if (!service) {
    service = new ConnectionService({
      connections: new MongoConnectionRepository(deps.models),
      pairings: new MongoPairingRecords(deps.models.Connection.db),
      events: brokerEvents(deps),
      declareLane: (connectionId) => declareLane(deps, connectionId),
      pauseCampaignsOf: (connectionId) => campaignsOf(deps).pauseAllOf(connectionId),
      logger: deps.logger,
      now: () => deps.now(),
    });
    connectionServices.set(deps, service);
  }
  return service;
}

const readServices = new WeakMap<object, ReadService>();

/** The read service on this process's MongoDB (what entry points list and look up). */
export function readsOf(deps: Pick<PipelineDeps, 'models'>): ReadService {
  let service = readServices.get(deps.models);
  if (!service) {
    service = new ReadService(deps.models);
    readServices.set(deps.models, service);
  }
  return service;
}

const companyServices = new WeakMap<object, CompanyService>();

/** The company service on this process's MongoDB (companies and their API keys). */
export function companiesOf(deps: Pick<PipelineDeps, 'models'>): CompanyService {
  let service = companyServices.get(deps.models);
  if (!service) {
    service = new CompanyService({
      companies: new MongoCompanyRepository(deps.models),
      apiKeys: new MongoApiKeyStore(deps.models),
    });
    companyServices.set(deps.models, service);
  }
  return service;
}

const contactServices = new WeakMap<PipelineDeps, ContactService>();

/** The contact service on this process's MongoDB (a deleted contact's shippings through the shipping service). */
export function contactsOf(deps: PipelineDeps): ContactService {
  let service = contactServices.get(deps);
  if (!service) {
    service = new ContactService({
      contacts: new MongoContactRepository(deps.models),
      imports: new MongoContactImports(deps.models),
      cancelShippingsOf: (contactId, reason) => shippingsOf(deps).cancelOfContact(contactId, reason),
      completeIfDone: (campaignId, cause) => campaignsOf(deps).completeIfDone(campaignId, cause),
      now: () => deps.now(),
    });
    contactServices.set(deps, service);
  }
  return service;
}

const capServices = new WeakMap<object, CapReservations>();

/** Reservations against the daily caps on this process's MongoDB (what dispatch reserves before a send). */
export function capsOf(deps: Pick<PipelineDeps, 'models'>): CapReservations {
  let service = capServices.get(deps.models);
  if (!service) {
    service = new CapReservations(new MongoCapStore(deps.models));
    capServices.set(deps.models, service);
  }
  return service;
}

const suppressionServices = new WeakMap<PipelineDeps, SuppressionService>();

/** The suppression service on this process's MongoDB and broker (a suppressed contact's shippings through the contact service). */
export function suppressionsOf(deps: PipelineDeps): SuppressionService {
  let service = suppressionServices.get(deps);
  if (!service) {
    service = new SuppressionService({
      suppressions: new MongoSuppressionRepository(deps.models),
      cancelUnsent: (cause, contactId, reason) => contactsOf(deps).cancelUnsent(cause, contactId, reason),
      events: brokerEvents(deps),
      metrics: deps.metrics,
      logger: deps.logger,
      now: () => deps.now(),
    });
    suppressionServices.set(deps, service);
  }
  return service;
}

const contactSyncServices = new WeakMap<PipelineDeps, ContactSyncService>();

/** The contact sync service on this process's MongoDB and broker (runs of a number's address book). */
export function contactSyncsOf(deps: PipelineDeps): ContactSyncService {
  let service = contactSyncServices.get(deps);
  if (!service) {
    service = new ContactSyncService({
      runs: new MongoContactSyncRuns(deps.models),
      regionOf: (companyId) => readsOf(deps).companyRegion(companyId),
      events: brokerEvents(deps),
      now: () => deps.now(),
    });
    contactSyncServices.set(deps, service);
  }
  return service;
}

const addressBookServices = new WeakMap<PipelineDeps, AddressBookService>();

/** The gateways' own address books (sandbox, WhatsApp Web) on this process's MongoDB; ContactsChanged on the broker. */
export function addressBooksOf(deps: PipelineDeps): AddressBookService {
  let service = addressBookServices.get(deps);
  if (!service) {
    const connections = new MongoConnectionRepository(deps.models);
    service = new AddressBookService({
      books: new MongoGatewayAddressBooks(deps.models.Connection.db),
      connectionOf: (connectionId) => connections.findById(connectionId),
      contactsChanged: (connectionId, cause) => publishEvent(deps.publisher, ContactsChanged, { connectionId }, cause),
    });
    addressBookServices.set(deps, service);
  }
  return service;
}
