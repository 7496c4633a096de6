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
import type { CloudApiSettings } from '../../mongo/models/connection';

export interface CloudApiOptions extends BackoffSettings {
  /** Time allowed for each call; past it the send is retried later. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** What the Cloud API answers to a send (success) or to anything else (error). */
interface CloudApiAnswer {
  messages?: Array<{ id?: string }>;
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
    private readonly settings: Pick<CloudApiSettings, 'phoneNumberId' | 'accessToken' | 'apiVersion' | 'baseUrl'>,
    private readonly options: CloudApiOptions,
  ) {
    this.fetch = options.fetch ?? fetch;
  }

  get messagesUrl(): string {
    const { baseUrl, apiVersion, phoneNumberId } = this.settings;
    return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(apiVersion)}/${encodeURIComponent(phoneNumberId)}/messages`;
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    let response: Response;
    let answer: CloudApiAnswer;
    try {
      response = await this.fetch(this.messagesUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.settings.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(cloudApiMessageBody(message)),
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
    const id = answer.messages?.[0]?.id;
    if (response.ok && id) return { providerMessageId: id, acceptedAt: new Date() };
    const error = answer.error ?? {};
    const code = typeof error.code === 'number' ? error.code : null;
    const detail = [
      error.message ?? (response.ok ? 'answer without a message id' : `HTTP ${response.status}`),
      error.fbtrace_id ? `fbtrace_id ${error.fbtrace_id}` : null,
    ]
      .filter(Boolean)
      .join('; ');
    return Promise.reject(
      this.failure(
        {
          kind: 'http',
          httpStatus: response.ok ? 502 : response.status,
          code,
          subcode: error.error_subcode ?? null,
          message: detail,
        },
        detail,
      ),
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
    return new GatewayError(decision.kind, `cloud-api: ${message}`, decision.code, decision.retryAfterMs);
  }
}
