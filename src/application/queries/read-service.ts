import type { Readable } from 'node:stream';
import { Types } from 'mongoose';
import type { CampaignStatus } from '../../domain/campaigns/campaign-status';
import type { ShippingStatus } from '../../domain/campaigns/shipping-status';
import { effectiveThroughput } from '../../domain/connections/throughput';
import { AppError } from '../../domain/errors';
import type { LaneState } from '../../domain/pacing/pacing-rule';
import type { PacingSettings } from '../../domain/pacing/pacing-settings';
import { campaignsByStatus } from '../../infrastructure/mongo/campaign-counts';
import type { Models } from '../../infrastructure/mongo/models';
import type { ApiKeyDoc } from '../../infrastructure/mongo/models/api-key';
import type { CampaignDoc } from '../../infrastructure/mongo/models/campaign';
import type { CompanyDoc } from '../../infrastructure/mongo/models/company';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';
import type { ContactDoc } from '../../infrastructure/mongo/models/contact';
import type { ContactImportDoc, ContactSyncDoc } from '../../infrastructure/mongo/models/contact-jobs';
import type { ContactListDoc } from '../../infrastructure/mongo/models/contact-list';
import type { LaneDoc } from '../../infrastructure/mongo/models/lane';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import type { SuppressionDoc } from '../../infrastructure/mongo/models/suppression';
import {
  type CampaignProgress,
  capViewOf,
  type FailureCount,
  failuresByReason,
  progressOf,
  type SendTimeline,
  sendTimeline,
} from '../campaigns/campaign-progress';
import { campaignReportCsv } from '../reports/campaign-report';
import { findOwned, isOwned, type Page, type PageRequest, pageOf } from './paging';

type Projection = Record<string, 1>;

/** A contact search: in one list, by part of the name or phone. */
export interface ContactSearch {
  listId?: string;
  text?: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A search matches part of the name (any case) or, when it holds digits, part of the phone. */
function searchFilter(search: string | undefined) {
  if (!search) return {};
  const digits = search.replace(/\D/g, '');
  const byName = { name: { $regex: escapeRegex(search), $options: 'i' } };
  return digits.length > 0 ? { $or: [byName, { phone: { $regex: digits } }] } : byName;
}

/**
 * What entry points read: the API's lists and lookups, the CLI's views. Every read of a company's
 * record checks the tenant (another company's id is not-found, so ids cannot be probed). Nothing
 * here changes anything: changes go through the services.
 */
export class ReadService {
  constructor(private readonly models: Models) {}

  // Companies and keys.

  async company(id: string, projection?: Projection): Promise<CompanyDoc> {
    const found = Types.ObjectId.isValid(id)
      ? ((await this.models.Company.findById(id, projection).lean()) as CompanyDoc | null)
      : null;
    if (!found) throw AppError.notFound('company');
    return found;
  }

  companies(page: PageRequest): Promise<Page<CompanyDoc>> {
    return pageOf(this.models.Company, {}, page);
  }

  /** The company's pacing (null when the company does not exist). */
  async companyPacing(companyId: string): Promise<PacingSettings | null> {
    return (await this.models.Company.findById(companyId, { pacing: 1 }).lean())?.pacing ?? null;
  }

  /** The company's time zone and sending windows (null when it does not exist). */
  companyWindows(companyId: string) {
    return this.models.Company.findById(companyId, { timezone: 1, sendingWindows: 1 }).lean();
  }

  /** A running campaign's daily caps as they stand now (company and each number), and when a full one frees. */
  capView(campaign: Parameters<typeof capViewOf>[1], now: number) {
    return capViewOf(this.models, campaign, now);
  }

  /** A campaign by id alone (an operator's look-up), or null. */
  campaignById(id: string, projection?: Projection): Promise<CampaignDoc | null> {
    return Types.ObjectId.isValid(id)
      ? (this.models.Campaign.findById(id, projection).lean() as Promise<CampaignDoc | null>)
      : Promise.resolve(null);
  }

  /** A campaign's per-contact report as CSV, streamed (bounded memory whatever its size). */
  campaignReport(campaignId: Types.ObjectId): Readable {
    return campaignReportCsv(this.models, campaignId);
  }

  /** The company's suppressed phones, newest first. */
  suppressions(companyId: string, page: PageRequest): Promise<Page<SuppressionDoc>> {
    const filter = { companyId: new Types.ObjectId(companyId), suppressed: true };
    return pageOf(this.models.Suppression, filter, page);
  }

  /** The region a company's phone numbers without a country code are read in. */
  /** How many campaigns are in each status, across companies (the `disparo_campaigns` gauge). */
  campaignsByStatus(): Promise<Record<string, number>> {
    return campaignsByStatus(this.models);
  }

  async companyRegion(companyId: string): Promise<string> {
    return (await this.models.Company.findById(companyId, { defaultRegion: 1 }).lean())?.defaultRegion ?? 'BR';
  }

  apiKeys(companyId: string): Promise<ApiKeyDoc[]> {
    return this.models.ApiKey.find({ companyId: new Types.ObjectId(companyId) })
      .sort({ createdAt: 1 })
      .limit(500)
      .lean() as Promise<ApiKeyDoc[]>;
  }

  /** The company an API key (by its hash) belongs to, or null for an unknown key. */
  async companyOfKey(hash: string): Promise<string | null> {
    // Looked up by _id (the hash): an index lookup on every server, no scan.
    const stored = await this.models.ApiKey.findById(hash, { companyId: 1 }).lean();
    return stored ? String(stored.companyId) : null;
  }

  // Campaigns.

  campaign(companyId: string, id: string, projection?: Projection): Promise<CampaignDoc> {
    return findOwned(this.models.Campaign, id, companyId, 'campaign', projection);
  }

  campaigns(companyId: string, status: CampaignStatus | undefined, page: PageRequest): Promise<Page<CampaignDoc>> {
    const filter = { companyId: new Types.ObjectId(companyId), ...(status ? { status } : {}) };
    return pageOf(this.models.Campaign, filter, page);
  }

  /** The company's campaigns by id, or its latest `recent` ones. */
  campaignsOf(companyId: string, ids: string[] | undefined, recent: number): Promise<CampaignDoc[]> {
    const { Campaign } = this.models;
    return (
      ids
        ? Campaign.find({ _id: { $in: ids }, companyId }).lean()
        : Campaign.find({ companyId }).sort({ createdAt: -1 }).limit(recent).lean()
    ) as Promise<CampaignDoc[]>;
  }

  /** Campaigns by id (any company's: the operator's CLI), or every campaign in one of `statuses`. */
  campaignsForOperator(
    ids: string[],
    statuses: readonly CampaignStatus[],
    companyId: string | undefined,
  ): Promise<CampaignDoc[]> {
    const filter: Record<string, unknown> =
      ids.length > 0 ? { _id: { $in: ids.map((id) => new Types.ObjectId(id)) } } : { status: { $in: [...statuses] } };
    if (companyId) filter.companyId = new Types.ObjectId(companyId);
    return this.models.Campaign.find(filter).lean() as Promise<CampaignDoc[]>;
  }

  shippings(
    campaignId: Types.ObjectId,
    status: ShippingStatus | undefined,
    page: PageRequest,
  ): Promise<Page<ShippingDoc>> {
    return pageOf(this.models.Shipping, { campaignId, ...(status ? { status } : {}) }, page, 1);
  }

  progressOf(campaigns: CampaignDoc[], now: number): Promise<CampaignProgress[]> {
    return progressOf(this.models, campaigns, now);
  }

  sendTimeline(campaignIds: string[], window: { from: number; to: number; bucketMs: number }): Promise<SendTimeline> {
    return sendTimeline(this.models, campaignIds, window);
  }

  failuresByReason(campaignIds: string[]): Promise<FailureCount[]> {
    return failuresByReason(this.models, campaignIds);
  }

  // Connections and their lanes.

  connection(companyId: string, id: string, projection?: Projection): Promise<ConnectionDoc> {
    return findOwned(this.models.Connection, id, companyId, 'connection', projection);
  }

  ownsConnection(companyId: string, id: string): Promise<boolean> {
    return isOwned(this.models.Connection, id, companyId);
  }

  connections(companyId: string, page: PageRequest): Promise<Page<ConnectionDoc>> {
    return pageOf(this.models.Connection, { companyId: new Types.ObjectId(companyId) }, page);
  }

  /** Every connection (or one company's), oldest first: the operator's view. */
  allConnections(companyId?: string): Promise<ConnectionDoc[]> {
    const filter = companyId ? { companyId: new Types.ObjectId(companyId) } : {};
    return this.models.Connection.find(filter).sort({ createdAt: 1 }).lean() as Promise<ConnectionDoc[]>;
  }

  /** Every number whose lane the dispatch workers share out (a WhatsApp Web number's is its socket holder's). */
  async laneConnectionIds(): Promise<string[]> {
    const connections = await this.models.Connection.find({ gateway: { $ne: 'whatsapp-web' } }, { _id: 1 }).lean();
    return connections.map((connection) => String(connection._id));
  }

  /** Every WhatsApp Web number, with what its socket holder acts on (status) and its company. */
  whatsappWebConnections(): Promise<Array<Pick<ConnectionDoc, '_id' | 'status' | 'companyId'>>> {
    return this.models.Connection.find({ gateway: 'whatsapp-web' }, { _id: 1, status: 1, companyId: 1 }).lean();
  }

  async hasWhatsAppWebConnection(): Promise<boolean> {
    return (await this.models.Connection.exists({ gateway: 'whatsapp-web' })) !== null;
  }

  /** A Cloud API connection's webhook settings, by id alone (the webhook names no company). */
  async cloudApiConnectionOf(
    connectionId: string,
  ): Promise<{ companyId: string; settings: NonNullable<ConnectionDoc['cloudApi']> }> {
    const found = Types.ObjectId.isValid(connectionId)
      ? await this.models.Connection.findById(connectionId, { gateway: 1, cloudApi: 1, companyId: 1 }).lean()
      : null;
    if (!found?.cloudApi) throw AppError.notFound('WhatsApp Cloud API connection');
    return { companyId: String(found.companyId), settings: found.cloudApi };
  }

  /** The lane's real sends so far (null before the first). */
  /** The provider throughput of a number (Cloud API 80 by default; null: none, or no such number). */
  async throughputOf(connectionId: string | Types.ObjectId): Promise<number | null> {
    const connection = await this.models.Connection.findById(connectionId, { gateway: 1, throughputPerSec: 1 }).lean();
    return connection ? effectiveThroughput(connection.gateway, connection.throughputPerSec) : null;
  }

  async laneSent(connectionId: string | Types.ObjectId): Promise<LaneState | null> {
    return (await this.models.Lane.findById(connectionId, { sent: 1 }).lean())?.sent ?? null;
  }

  lanes(connectionIds: Types.ObjectId[]): Promise<LaneDoc[]> {
    return this.models.Lane.find({ _id: { $in: connectionIds } }).lean() as Promise<LaneDoc[]>;
  }

  /** What a number's status shows: its lane, how many campaigns may still send on it, its last sync. */
  async connectionActivity(connectionId: Types.ObjectId) {
    const [lane, activeCampaigns, lastSync] = await Promise.all([
      this.models.Lane.findById(connectionId, { sent: 1, coolDownUntil: 1 }).lean(),
      this.models.Campaign.countDocuments({
        connectionId,
        status: { $in: ['scheduled', 'queued', 'running', 'paused'] },
      }),
      this.models.ContactSync.findOne({ connectionId }, { status: 1, startedAt: 1, finishedAt: 1 })
        .sort({ startedAt: -1 })
        .lean(),
    ]);
    return { lane, activeCampaigns, lastSync };
  }

  /** Ids of the running campaigns of a number. */
  async runningCampaignsOf(connectionId: Types.ObjectId): Promise<Types.ObjectId[]> {
    const running = await this.models.Campaign.find({ connectionId, status: 'running' }, { _id: 1 }).lean();
    return running.map((campaign) => campaign._id);
  }

  /** The earliest planned time of a queued shipping of these campaigns due by `by` (the lane's backlog). */
  async oldestDueShipping(campaignIds: Types.ObjectId[], by: Date): Promise<Date | null> {
    if (campaignIds.length === 0) return null;
    const due = await this.models.Shipping.find(
      { campaignId: { $in: campaignIds }, status: 'queued', plannedAt: { $lte: by } },
      { plannedAt: 1 },
    )
      .sort({ plannedAt: 1 })
      .limit(1)
      .lean();
    return due[0]?.plannedAt ?? null;
  }

  async shippingPlannedAt(shippingId: string): Promise<Date | null> {
    return (await this.models.Shipping.findById(shippingId, { plannedAt: 1 }).lean())?.plannedAt ?? null;
  }

  /** Pacing by company id, for the given companies. */
  async pacingOfCompanies(companyIds: Types.ObjectId[]): Promise<Map<string, CompanyDoc>> {
    const companies = await this.models.Company.find({ _id: { $in: companyIds } }, { pacing: 1, name: 1 }).lean();
    return new Map(companies.map((company) => [String(company._id), company as CompanyDoc]));
  }

  syncs(connectionId: Types.ObjectId): Promise<ContactSyncDoc[]> {
    return this.models.ContactSync.find({ connectionId }).sort({ startedAt: -1 }).limit(20).lean() as Promise<
      ContactSyncDoc[]
    >;
  }

  sync(connectionId: Types.ObjectId, syncId: string): Promise<ContactSyncDoc | null> {
    return this.models.ContactSync.findOne({ _id: syncId, connectionId }).lean() as Promise<ContactSyncDoc | null>;
  }

  // Contacts, lists and imports.

  contact(companyId: string, id: string, projection?: Projection): Promise<ContactDoc> {
    return findOwned(this.models.Contact, id, companyId, 'contact', projection);
  }

  contacts(companyId: string, search: ContactSearch, page: PageRequest): Promise<Page<ContactDoc>> {
    const filter = {
      companyId: new Types.ObjectId(companyId),
      ...(search.listId ? { listIds: new Types.ObjectId(search.listId) } : {}),
      ...searchFilter(search.text),
    };
    return pageOf(this.models.Contact, filter, page);
  }

  list(companyId: string, id: string, projection?: Projection): Promise<ContactListDoc> {
    return findOwned(this.models.ContactList, id, companyId, 'contact list', projection);
  }

  ownsList(companyId: string, id: string): Promise<boolean> {
    return isOwned(this.models.ContactList, id, companyId);
  }

  lists(companyId: string, page: PageRequest): Promise<Page<ContactListDoc>> {
    return pageOf(this.models.ContactList, { companyId: new Types.ObjectId(companyId) }, page);
  }

  members(companyId: string, listId: Types.ObjectId): Promise<number> {
    return this.models.Contact.countDocuments({ companyId, listIds: listId });
  }

  /** The latest 20 imports into a list (without their error rows). */
  imports(companyId: string, listId: Types.ObjectId): Promise<Array<Omit<ContactImportDoc, 'errors'>>> {
    return this.models.ContactImport.find({ companyId, listId }, { errors: 0 })
      .sort({ startedAt: -1 })
      .limit(20)
      .lean();
  }

  /** One import into the company's list, or not-found. */
  async import(companyId: string, listId: string, importId: string): Promise<ContactImportDoc> {
    const job = (await this.models.ContactImport.findById(importId).lean()) as ContactImportDoc | null;
    if (!job || String(job.companyId) !== companyId || String(job.listId) !== listId) throw AppError.notFound('import');
    return job;
  }
}
