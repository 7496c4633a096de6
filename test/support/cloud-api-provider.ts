import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { templateShape } from '../../src/domain/whatsapp/templates';
import { signWebhookBody } from '../../src/domain/whatsapp/webhook-signature';

/** A template as Meta's `message_templates` lists it. */
export interface ProviderTemplate {
  id?: string;
  name: string;
  language: string;
  status: string;
  category: string;
  parameter_format?: 'POSITIONAL' | 'NAMED';
  components: Array<Record<string, unknown>>;
}

/** The business account's catalogue the provider starts with (Meta's sample template among them). */
export const PROVIDER_TEMPLATES: ProviderTemplate[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      { type: 'BODY', text: 'Welcome and congratulations!!' },
    ],
  },
  {
    name: 'order_update',
    language: 'pt_BR',
    status: 'APPROVED',
    category: 'UTILITY',
    parameter_format: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } },
      {
        type: 'BODY',
        text: 'Olá {{1}}, seu pedido {{2}} para {{3}} saiu para entrega.',
        example: { body_text: [['Ana', '4512', 'Recife']] },
      },
      { type: 'FOOTER', text: 'Loja Exemplo' },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Acompanhar',
            url: 'https://loja.example/pedidos/{{1}}',
            example: ['https://loja.example/pedidos/4512'],
          },
          { type: 'QUICK_REPLY', text: 'Parar' },
        ],
      },
    ],
  },
  {
    name: 'order_update',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} to {{3}} is on its way.' }],
  },
  {
    name: 'spring_sale',
    language: 'pt_BR',
    status: 'REJECTED',
    category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Promoção!' }],
  },
];

/** One request the local provider received on its messages endpoint. */
export interface ReceivedRequest {
  at: number;
  path: string;
  authorization: string | undefined;
  body: any;
  /** What it answered: the message id, or the error code it was told to give. */
  answer: { id: string } | { code: number | string };
}

/** An error answer, as the Cloud API gives it. `drop` closes the socket; `hang` never answers. */
export type ScriptedAnswer =
  | {
      httpStatus: number;
      error: {
        message: string;
        type: string;
        code: number;
        error_subcode?: number;
        error_data?: { messaging_product: 'whatsapp'; details: string };
      };
    }
  | 'drop'
  | 'hang';

const error = (
  httpStatus: number,
  code: number,
  message: string,
  type = 'OAuthException',
  error_subcode?: number,
): ScriptedAnswer => ({
  httpStatus,
  error: { message, type, code, ...(error_subcode ? { error_subcode } : {}) },
});

/**
 * Meta's answer when a number sends past its throughput (error codes page, "Throttling errors":
 * 130429 "Rate limit hit", HTTP 400; v16.0+ answers carry `error_data.details` and no subcode).
 */
const THROUGHPUT_REACHED: ScriptedAnswer = {
  httpStatus: 400,
  error: {
    message: '(#130429) Rate limit hit',
    type: 'OAuthException',
    code: 130429,
    error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
  },
};

/** Realistic answers for each case Disparo must handle (codes and HTTP statuses as the Graph API gives them). */
export const ANSWERS = {
  serverError: error(500, 131000, 'Something went wrong', 'OAuthException'),
  unavailable: error(503, 133004, 'Server temporarily unavailable'),
  throughput: THROUGHPUT_REACHED,
  pairRateLimit: error(400, 131056, '(Business Account, Consumer Account) pair rate limit hit'),
  spamRateLimit: error(
    400,
    131048,
    'Spam rate limit hit: Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
  ),
  expiredToken: error(401, 190, 'Error validating access token: Session has expired.', 'OAuthException', 463),
  undeliverable: error(400, 131026, 'Message undeliverable'),
  invalidParameter: error(400, 100, 'Invalid parameter', 'OAuthException'),
  missingParameter: error(400, 131008, 'Required parameter is missing'),
  invalidParameterValue: error(400, 131009, 'Parameter value is not valid'),
  drop: 'drop',
  hang: 'hang',
} satisfies Record<string, ScriptedAnswer>;

type Rule = { answer: ScriptedAnswer; times: number; to?: string };

/**
 * A local stand-in for the WhatsApp Business Cloud API, over real HTTP: POST
 * /{version}/{phoneNumberId}/messages with a Bearer token answers like Meta (success with a
 * `wamid.` id, or an error body), records every request, answers with scripted errors when told,
 * and sends status webhooks to Disparo signed like Meta's (or badly signed, for the tests).
 */
export class LocalCloudApi {
  readonly received: ReceivedRequest[] = [];
  private readonly rules: Rule[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  url = '';
  /** The business account's templates, in the order `message_templates` lists them. */
  readonly templates: ProviderTemplate[] = structuredClone(PROVIDER_TEMPLATES);
  /** Templates per page of `message_templates` at most, whatever limit is asked (so paging is exercised). */
  templatePageSize = 2;

  constructor(readonly settings: { phoneNumberId: string; accessToken: string; appSecret: string; wabaId?: string }) {}

  /** Messages per second each phone number id may send (null: unlimited); past it, 130429. */
  private ratePerSec: number | null = null;
  /** Accepted sends of the last second, per phone number id (arrival times, oldest first). */
  private readonly recentSends = new Map<string, number[]>();
  /** Sends refused with 130429 for their rate. */
  rateLimited = 0;

  /**
   * Enforces a throughput like Meta's: at most `perSec` accepted sends per phone number id in any
   * sliding second (refused calls do not count); a send past it is answered 130429 (HTTP 400).
   * null lifts it.
   */
  enforceRate(perSec: number | null): void {
    this.ratePerSec = perSec;
    this.recentSends.clear();
  }

  /** Whether a send arriving now for this number fits its rate; an accepted one is counted. */
  private withinRate(phoneNumberId: string, now: number): boolean {
    if (this.ratePerSec === null) return true;
    const recent = (this.recentSends.get(phoneNumberId) ?? []).filter((at) => at > now - 1_000);
    this.recentSends.set(phoneNumberId, recent);
    return recent.length < this.ratePerSec;
  }

  private countSend(phoneNumberId: string, now: number): void {
    if (this.ratePerSec !== null) this.recentSends.get(phoneNumberId)?.push(now);
  }

  /** Meta pauses (or disables, or approves again) a template: sends of it answer accordingly from now on. */
  setTemplateStatus(name: string, language: string, status: string): void {
    const template = this.templates.find((entry) => entry.name === name && entry.language === language);
    if (!template) throw new Error(`no template ${name} ${language}`);
    template.status = status;
  }

  /** Requests to the templates endpoint. */
  templateReads = 0;
  /** While true, the templates endpoint answers 500 (Meta's side down) while sending still works. */
  templateReadsFail = false;

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next `times` sends (to `to` only, when given) get this answer instead of a success. */
  failNext(answer: ScriptedAnswer, options: { times?: number; to?: string } = {}): void {
    this.rules.push({ answer, times: options.times ?? 1, to: options.to });
  }

  /** Rotates the token the provider accepts (an operator issued a new one). */
  acceptToken(token: string): void {
    this.settings.accessToken = token;
  }

  /** Successful sends, in order. */
  get sent(): ReceivedRequest[] {
    return this.received.filter((request) => 'id' in request.answer);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '';
    const templates = /^\/(v\d+\.\d+)\/([^/?]+)\/message_templates(\?.*)?$/.exec(path);
    if (request.method === 'GET' && templates) return this.listTemplates(request, response, templates[2]!, path);
    const match = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(path);
    if (request.method !== 'POST' || !match)
      return this.answer(response, 404, {
        error: { message: 'Unknown path', type: 'GraphMethodException', code: 100, fbtrace_id: trace() },
      });
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return this.answer(response, 400, {
        error: { message: 'Invalid JSON', type: 'OAuthException', code: 100, fbtrace_id: trace() },
      });
    }
    const record = (answer: ReceivedRequest['answer']) =>
      this.received.push({ at: Date.now(), path, authorization: request.headers.authorization, body, answer });

    if (request.headers.authorization !== `Bearer ${this.settings.accessToken}`) {
      record({ code: 190 });
      return this.answer(response, 401, {
        error: {
          message: 'Invalid OAuth access token - Cannot parse access token',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: trace(),
        },
      });
    }
    if (match[2] !== this.settings.phoneNumberId) {
      record({ code: 100 });
      return this.answer(response, 400, {
        error: {
          message: `Unsupported post request. Object with ID '${match[2]}' does not exist`,
          type: 'GraphMethodException',
          code: 100,
          error_subcode: 33,
          fbtrace_id: trace(),
        },
      });
    }
    const arrivedAt = performance.now();
    if (!this.withinRate(match[2], arrivedAt)) {
      this.rateLimited++;
      record({ code: 130429 });
      const refusal = THROUGHPUT_REACHED as Exclude<ScriptedAnswer, string>;
      return this.answer(response, refusal.httpStatus, { error: { ...refusal.error, fbtrace_id: trace() } });
    }
    const refused = body.type === 'template' ? this.checkTemplate(body.template) : null;
    if (refused) {
      record({ code: refused.code });
      return this.answer(response, 400, { error: { ...refused, type: 'OAuthException', fbtrace_id: trace() } });
    }
    const rule = this.rules.find((candidate) => candidate.times > 0 && (!candidate.to || candidate.to === body.to));
    if (rule) {
      rule.times--;
      if (rule.answer === 'drop') {
        record({ code: 'drop' });
        request.socket.destroy();
        return;
      }
      if (rule.answer === 'hang') {
        record({ code: 'hang' });
        this.hanging.add(response);
        return;
      }
      record({ code: rule.answer.error.code });
      return this.answer(response, rule.answer.httpStatus, { error: { ...rule.answer.error, fbtrace_id: trace() } });
    }
    const id = `wamid.${Buffer.from(randomUUID()).toString('base64url')}`;
    this.countSend(match[2], arrivedAt);
    record({ id });
    return this.answer(response, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: String(body.to).replace(/^\+/, '') }],
      messages: [{ id }],
    });
  }

  /** GET /{version}/{waba-id}/message_templates: pages of templates with cursors, like the Graph API. */
  private listTemplates(request: IncomingMessage, response: ServerResponse, wabaId: string, path: string) {
    this.templateReads++;
    if (this.templateReadsFail)
      return this.answer(response, 500, {
        error: { message: 'An unknown error occurred', type: 'OAuthException', code: 1, fbtrace_id: trace() },
      });
    if (request.headers.authorization !== `Bearer ${this.settings.accessToken}`)
      return this.answer(response, 401, {
        error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190, fbtrace_id: trace() },
      });
    if (wabaId !== this.settings.wabaId)
      return this.answer(response, 400, {
        error: {
          message: `Unsupported get request. Object with ID '${wabaId}' does not exist`,
          type: 'GraphMethodException',
          code: 100,
          error_subcode: 33,
          fbtrace_id: trace(),
        },
      });
    const query = new URL(path, 'http://local').searchParams;
    const limit = Math.min(Number(query.get('limit') ?? 25), this.templatePageSize);
    const start = query.get('after') ? Number(Buffer.from(query.get('after')!, 'base64url').toString()) : 0;
    const page = this.templates.slice(start, start + limit);
    const cursor = (index: number) => Buffer.from(String(index)).toString('base64url');
    const next = start + limit < this.templates.length;
    if (next) query.set('after', cursor(start + limit));
    return this.answer(response, 200, {
      data: page.map((template, i) => ({ id: template.id ?? String(5_944_254_792_600 + start + i), ...template })),
      paging: {
        cursors: { before: cursor(start), after: cursor(start + page.length) },
        ...(next ? { next: `${this.url}${path.split('?')[0]}?${query}` } : {}),
      },
    });
  }

  /** What Meta answers to a template it will not send: unknown, not in that language, paused, wrong parameter count. */
  private checkTemplate(template: any): { code: number; message: string } | null {
    const named = this.templates.filter((entry) => entry.name === template?.name);
    const found = named.find((entry) => entry.language === template?.language?.code);
    if (!found) return { code: 132001, message: '(#132001) Template name does not exist in the translation' };
    if (found.status === 'PAUSED')
      return { code: 132015, message: '(#132015) Cannot send message as the template is paused' };
    if (found.status === 'DISABLED')
      return { code: 132016, message: '(#132016) Template is disabled and cannot be sent' };
    if (found.status !== 'APPROVED') return { code: 132001, message: `(#132001) Template is ${found.status}` };
    const shape = templateShape({
      parameterFormat: found.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL',
      components: found.components as never,
    });
    const given = (type: string) =>
      (template.components ?? [])
        .filter((component: any) => component.type === type)
        .reduce((sum: number, component: any) => sum + (component.parameters?.length ?? 0), 0);
    const wanted = (section: string) => shape.slots.filter((slot) => slot.section === section).length;
    if (given('body') !== wanted('body') || given('button') !== wanted('buttons'))
      return {
        code: 132000,
        message: '(#132000) Number of parameters does not match the expected number of params',
      };
    const blank = (template.components ?? []).some((component: any) =>
      (component.parameters ?? []).some(
        (parameter: any) => parameter.type === 'text' && String(parameter.text ?? '').trim() === '',
      ),
    );
    if (blank) return { code: 131008, message: '(#131008) Required parameter is missing' };
    return null;
  }

  /** The simulated round trip: every answer goes out this long after its request arrived (what it did is done already). */
  latencyMs = 0;

  private answer(response: ServerResponse, status: number, body: unknown): void {
    const send = () => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
    else send();
  }

  /** A status webhook body as Meta sends it. */
  statusWebhook(
    statuses: Array<{
      id: string;
      status: string;
      timestamp?: number;
      recipient?: string;
      errors?: Array<{ code: number; title: string }>;
    }>,
  ): string {
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550783881', phone_number_id: this.settings.phoneNumberId },
                statuses: statuses.map((status) => ({
                  id: status.id,
                  status: status.status,
                  timestamp: String(status.timestamp ?? Math.floor(Date.now() / 1000)),
                  recipient_id: status.recipient ?? '5511980000000',
                  ...(status.errors ? { errors: status.errors } : {}),
                })),
              },
            },
          ],
        },
      ],
    });
  }

  /** POSTs a webhook body to Disparo, signed with the app secret unless told otherwise. */
  async deliverWebhook(
    url: string,
    body: string,
    signing: 'good' | 'bad' | 'none' = 'good',
  ): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signing === 'good') headers['x-hub-signature-256'] = signWebhookBody(body, this.settings.appSecret);
    if (signing === 'bad') headers['x-hub-signature-256'] = signWebhookBody(body, `${this.settings.appSecret}-wrong`);
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
}

function trace(): string {
  return `A${randomUUID().replace(/-/g, '').slice(0, 22)}`;
}
