import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhookBody } from '../../src/domain/whatsapp/webhook-signature';

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
  | { httpStatus: number; error: { message: string; type: string; code: number; error_subcode?: number } }
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

/** Realistic answers for each case Disparo must handle (codes and HTTP statuses as the Graph API gives them). */
export const ANSWERS = {
  serverError: error(500, 131000, 'Something went wrong', 'OAuthException'),
  unavailable: error(503, 133004, 'Server temporarily unavailable'),
  throughput: error(429, 130429, 'Rate limit hit: Cloud API message throughput has been reached.'),
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

  constructor(readonly settings: { phoneNumberId: string; accessToken: string; appSecret: string }) {}

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
    record({ id });
    return this.answer(response, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: String(body.to).replace(/^\+/, '') }],
      messages: [{ id }],
    });
  }

  private answer(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
