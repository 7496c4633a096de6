import {
  type BackoffSettings,
  type CloudApiFailure,
  decideCloudApiFailure,
} from '../../../domain/whatsapp/cloud-api-errors';
import {
  type ContactPage,
  GatewayError,
  type OutgoingMessage,
  type SendReceipt,
  type WhatsAppGateway,
} from '../../../domain/whatsapp/gateway';
import type { CatalogTemplate, TemplateComponentDef } from '../../../domain/whatsapp/templates';
import type { CloudApiSettings } from '../../mongo/models/connection';

export interface CloudApiOptions extends BackoffSettings {
  /** Time allowed for each call; past it the send is retried later. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** What the Cloud API answers to a send (success), a template listing, or anything else (error). */
interface CloudApiAnswer {
  messages?: Array<{ id?: string }>;
  data?: unknown[];
  paging?: { next?: string; cursors?: { after?: string } };
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; fbtrace_id?: string };
}

const MEDIA_TYPES: Array<[RegExp, 'image' | 'video' | 'audio' | 'document']> = [
  [/\.(jpe?g|png|webp)$/i, 'image'],
  [/\.(mp4|3gpp?)$/i, 'video'],
  [/\.(mp3|ogg|opus|aac|amr|m4a)$/i, 'audio'],
];

function mediaType(url: string): 'image' | 'video' | 'audio' | 'document' {
  const path = new URL(url).pathname;
  return MEDIA_TYPES.find(([pattern]) => pattern.test(path))?.[1] ?? 'document';
}

/** The request body of POST /{version}/{phone-number-id}/messages for one outgoing message. */
export function cloudApiMessageBody(message: OutgoingMessage): Record<string, unknown> {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: message.to.replace(/^\+/, '') };
  if (message.template) {
    const { name, language, components } = message.template;
    return {
      ...base,
      type: 'template',
      template: { name, language: { code: language }, ...(components ? { components } : {}) },
    };
  }
  if (message.mediaUrl) {
    const type = mediaType(message.mediaUrl);
    // Audio takes no caption on WhatsApp; the text then goes nowhere, so audio is sent as a document.
    const kind = type === 'audio' ? 'document' : type;
    return {
      ...base,
      type: kind,
      [kind]: { link: message.mediaUrl, ...(message.text ? { caption: message.text } : {}) },
    };
  }
  return { ...base, type: 'text', text: { body: message.text, preview_url: false } };
}

/** A business account with more templates than this many pages of 100 is cut short (and logged by the caller). */
const MAX_TEMPLATE_PAGES = 50;

/** Stored as given: no `null` where Meta said nothing. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** One entry of Meta's `message_templates` answer, or null when it lacks a name or language. */
export function catalogTemplateOf(raw: unknown): CatalogTemplate | null {
  if (!raw || typeof raw !== 'object') return null;
  const entry = raw as Record<string, unknown>;
  if (typeof entry.name !== 'string' || typeof entry.language !== 'string') return null;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const components = (Array.isArray(entry.components) ? entry.components : []).flatMap(
    (component): TemplateComponentDef[] => {
      if (!component || typeof component !== 'object') return [];
      const c = component as Record<string, unknown>;
      if (typeof c.type !== 'string') return [];
      const buttons = Array.isArray(c.buttons)
        ? c.buttons.flatMap((button) =>
            button && typeof button === 'object' && typeof (button as { type?: unknown }).type === 'string'
              ? [
                  withoutUndefined({
                    type: (button as { type: string }).type,
                    text: text((button as { text?: unknown }).text),
                    url: text((button as { url?: unknown }).url),
                  }),
                ]
              : [],
          )
        : undefined;
      return [withoutUndefined({ type: c.type, format: text(c.format), text: text(c.text), buttons })];
    },
  );
  return {
    name: entry.name,
    language: entry.language,
    category: text(entry.category) ?? 'UNKNOWN',
    status: text(entry.status) ?? 'UNKNOWN',
    parameterFormat: entry.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL',
    components,
  };
}

/**
 * The official WhatsApp Business Cloud API. Every call has a timeout; every failure becomes a
 * GatewayError whose kind says what to do about it (see decideCloudApiFailure). The access token
 * only ever travels in the Authorization header: it is in no error message and no log line.
 * The Cloud API has no idempotency key, so a send interrupted by a crash is not repeated.
 */
export class CloudApiGateway implements WhatsAppGateway {
  readonly kind = 'cloud-api';
  readonly idempotent = false;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly settings: Pick<
      CloudApiSettings,
      'phoneNumberId' | 'accessToken' | 'apiVersion' | 'baseUrl' | 'wabaId'
    >,
    private readonly options: CloudApiOptions,
  ) {
    this.fetch = options.fetch ?? fetch;
  }

  get messagesUrl(): string {
    const { baseUrl, apiVersion, phoneNumberId } = this.settings;
    return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(apiVersion)}/${encodeURIComponent(phoneNumberId)}/messages`;
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const { response, answer } = await this.call(this.messagesUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cloudApiMessageBody(message)),
    });
    const id = answer.messages?.[0]?.id;
    if (response.ok && id) return { providerMessageId: id, acceptedAt: new Date() };
    throw this.answerFailure(response, answer, 'answer without a message id');
  }

  /**
   * Every template of the business account (`GET /{version}/{waba-id}/message_templates`), all
   * pages, in the shape the domain reads. Needs the connection's `wabaId`.
   */
  async listTemplates(): Promise<CatalogTemplate[]> {
    const { baseUrl, apiVersion, wabaId } = this.settings;
    if (!wabaId) throw new GatewayError('permanent', 'cloud-api: the connection has no cloudApi.wabaId', 'NO_WABA_ID');
    const fields = 'name,language,category,status,parameter_format,components';
    let url: string | null =
      `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(apiVersion)}/${encodeURIComponent(wabaId)}/message_templates?fields=${fields}&limit=100`;
    const templates: CatalogTemplate[] = [];
    for (let page = 0; url && page < MAX_TEMPLATE_PAGES; page++) {
      const { response, answer } = await this.call(url, { method: 'GET' });
      if (!response.ok || !Array.isArray(answer.data))
        throw this.answerFailure(response, answer, 'answer without data');
      templates.push(...answer.data.flatMap((raw) => catalogTemplateOf(raw) ?? []));
      url = answer.paging?.next ?? null;
    }
    return templates;
  }

  /** One call with the token and the timeout; a timeout or a network error becomes a GatewayError. */
  private async call(url: string, init: RequestInit): Promise<{ response: Response; answer: CloudApiAnswer }> {
    let response: Response;
    let answer: CloudApiAnswer;
    try {
      response = await this.fetch(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.settings.accessToken}` },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      answer = (await response.json().catch(() => ({}))) as CloudApiAnswer;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw this.failure({ kind: 'timeout' }, `no answer within ${this.options.timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const detail = [(error as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
      throw this.failure({ kind: 'network', message: detail }, `network error: ${detail}`);
    }
    return { response, answer };
  }

  /** An error answer (or a success without what was asked) as a GatewayError. */
  private answerFailure(response: Response, answer: CloudApiAnswer, missing: string): GatewayError {
    const error = answer.error ?? {};
    const code = typeof error.code === 'number' ? error.code : null;
    const detail = [
      error.message ?? (response.ok ? missing : `HTTP ${response.status}`),
      error.fbtrace_id ? `fbtrace_id ${error.fbtrace_id}` : null,
    ]
      .filter(Boolean)
      .join('; ');
    return this.failure(
      {
        kind: 'http',
        httpStatus: response.ok ? 502 : response.status,
        code,
        subcode: error.error_subcode ?? null,
        message: detail,
      },
      detail,
    );
  }

  /** The Cloud API has no address book: a business number has no contacts to list. */
  async listContacts(_cursor: string | null): Promise<ContactPage> {
    return { contacts: [], next: null };
  }

  /**
   * The Cloud API has no "is this number on WhatsApp" lookup (the old contacts endpoint is gone):
   * every well-formed E.164 number counts as on WhatsApp, and a number that is not fails at send
   * time with 131026 (undeliverable), which fails that shipping for good.
   */
  async checkNumbers(phones: string[]): Promise<Map<string, boolean>> {
    return new Map(phones.filter((phone) => /^\+[1-9]\d{6,14}$/.test(phone)).map((phone) => [phone, true]));
  }

  private failure(failure: CloudApiFailure, message: string): GatewayError {
    const decision = decideCloudApiFailure(failure, this.options);
    return new GatewayError(
      decision.kind,
      `cloud-api: ${message}`,
      decision.code,
      decision.retryAfterMs,
      decision.rateLimited ?? false,
    );
  }
}
