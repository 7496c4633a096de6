import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose, { Types } from 'mongoose';
import { publishEvent } from '../../publishers/domain-event';
import { createApp } from '../../src/api/app';
import { listen } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { ContactSyncRequested } from '../../src/domain/events/contact-messages';
import { newCorrelation } from '../../src/domain/events/envelope';
import { createGatewayProvider, DEFAULT_CLOUD_API_OPTIONS } from '../../src/infrastructure/gateways/gateway-provider';
import { useMongoAuthState } from '../../src/infrastructure/gateways/whatsapp-web/auth-store';
import { SessionCipher } from '../../src/infrastructure/gateways/whatsapp-web/session-cipher';
import { whatsappWebStore } from '../../src/infrastructure/gateways/whatsapp-web/web-store';
import { EventLog } from '../../src/infrastructure/mongo/event-log';
import { modelsOf } from '../../src/infrastructure/mongo/models';
import { startCampaignCheck } from '../../src/runtime/campaign-check';
import { pipelineDeps } from '../../src/runtime/pipeline';
import { type Services, startServices } from '../../src/runtime/services';
import { startWorker, type Worker } from '../../src/runtime/worker';
import { sleep } from '../support/collector';
import { createTestVhost, testMongoUrl } from '../support/infrastructure';
import { LocalSentry, type ReceivedEvent } from '../support/local-sentry';

const PHONE = '+55 11 98765-4321';
const TOKEN = 'EAAGsecretAccessToken0123456789';
const API_KEY = 'dsp_abcdefghijklmnopqrstuvwx';
/** The worker's WHATSAPP_SESSION_KEY, and another key a stored session was sealed with. */
const SESSION_KEY = Buffer.alloc(32, 7);
const OTHER_SESSION_KEY = Buffer.alloc(32, 9);
/** A QR's text (built, so the source line Sentry shows with the stack does not hold it whole). */
const QR = ['2@fake-ref', 'noise', 'identity', 'adv'].join(',');
const sessionSecrets: string[] = [SESSION_KEY.toString('base64'), OTHER_SESSION_KEY.toString('base64'), QR];

describe('error reporting: consumers, the API and the cron job reach Sentry, tagged and without secrets', () => {
  const sentry = new LocalSentry();
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let services: Services;
  let worker: Worker | undefined;

  before(async () => {
    await sentry.start();
    vhost = await createTestVhost('sentry');
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      RABBITMQ_URL: vhost.url,
      MONGO_URL: testMongoUrl('sentry'),
      SENTRY_DSN: sentry.dsn,
      SENTRY_ENVIRONMENT: 'disparo-test',
      WHATSAPP_SESSION_KEY: SESSION_KEY.toString('base64'),
    });
    services = await startServices(config, 'test-sentry');
  });
  after(async () => {
    await worker?.stop();
    await services.mongo.dropDatabase().catch(() => undefined);
    await services.close();
    await vhost.dispose();
    await sentry.stop();
  });

  async function eventWhere(what: string, match: (event: ReceivedEvent) => boolean): Promise<ReceivedEvent> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      await services.errorReporter.flush(1_000);
      const found = sentry.events.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        assert.fail(
          `no Sentry event for ${what}; received: ${JSON.stringify(sentry.events.map((event) => event.tags))}`,
        );
      await sleep(100);
    }
  }

  test('a consumer message that can never succeed is reported with company, consumer and event type', async () => {
    worker = await startWorker(services, ['contact-sync']);
    const companyId = new Types.ObjectId().toHexString();
    const connectionId = new Types.ObjectId().toHexString();
    await publishEvent(
      services.publisher,
      ContactSyncRequested,
      { connectionId },
      newCorrelation(companyId, 'corr-sentry-consumer'),
    );
    const event = await eventWhere(
      'the dead-lettered sync',
      (candidate) => candidate.tags?.consumer === 'contact-sync',
    );
    assert.equal(event.tags?.companyId, companyId);
    assert.equal(event.tags?.eventType, 'ContactSyncRequested');
    assert.equal(event.tags?.queue, 'disparo.contact-sync');
    assert.equal(event.environment, 'disparo-test');
    assert.equal(event.contexts?.disparo?.correlationId, 'corr-sentry-consumer');
    assert.match(event.exception?.values?.[0]?.value ?? '', new RegExp(connectionId));
  });

  test('an unexpected API error answers 500 without details, and is reported with its route, phone and token masked', async () => {
    const app = createApp({
      logger: services.logger,
      errorReporter: services.errorReporter,
      metrics: services.metrics,
      readiness: async () => {
        throw new Error(`ping failed for ${PHONE} using ${TOKEN}, key ${API_KEY}, Bearer opaque.credential-0123`);
      },
    });
    const server = await listen(app, '127.0.0.1', 0);
    try {
      const response = await fetch(`${server.url}/readyz`, {
        headers: { authorization: `Bearer ${API_KEY}`, 'x-request-id': 'req-sentry-api' },
      });
      assert.equal(response.status, 500);
      const body = await response.text();
      assert.doesNotMatch(body, /ping failed|EAAG|dsp_|98765/, 'the caller learns nothing internal');
    } finally {
      await server.close();
    }
    const event = await eventWhere('the API error', (candidate) => candidate.tags?.route === 'GET /readyz');
    assert.equal(event.contexts?.disparo?.correlationId, 'req-sentry-api');
    assert.equal(
      event.exception?.values?.[0]?.value,
      'ping failed for [phone …4321] using [redacted token], key dsp_[redacted], Bearer [redacted]',
    );
  });

  test('a failing scheduled-campaign check is reported with the scheduler as its consumer', async () => {
    // The check's database goes away: its connection is closed before the first run.
    const closed = await mongoose.createConnection(testMongoUrl('sentry_closed')).asPromise();
    const models = modelsOf(closed);
    await closed.close();
    const gateways = createGatewayProvider(models, closed, undefined, DEFAULT_CLOUD_API_OPTIONS);
    const check = startCampaignCheck(
      { ...(await pipelineDeps(services)), models, gateways },
      {
        cron: '*/30 * * * * *',
        recountAfterMs: 60_000,
        retentionDays: 0,
        reconcile: { everyMs: 0, stuckAfterMs: 60_000, limit: 10 },
        errorReporter: services.errorReporter,
        eventLog: new EventLog(closed),
      },
    );
    try {
      const event = await eventWhere('the cron failure', (candidate) => candidate.tags?.consumer === 'scheduler');
      assert.ok(event.exception?.values?.[0]?.type, 'the error is sent as an exception');
    } finally {
      await check.stop();
    }
  });

  test('a WhatsApp Web session the key does not open is reported naming WHATSAPP_SESSION_KEY, without session secrets', async () => {
    const { models } = await pipelineDeps(services);
    const company = new Types.ObjectId();
    const connection = await models.Connection.create({
      companyId: company,
      name: 'Web',
      gateway: 'whatsapp-web',
      status: 'connected',
    });
    const connectionId = String(connection._id);
    // A session sealed with another key (a key rotated without re-pairing, or the wrong one deployed).
    const store = whatsappWebStore(services.mongo);
    const auth = await useMongoAuthState(store, new SessionCipher(OTHER_SESSION_KEY), connectionId);
    auth.state.creds.me = { id: '5511987654321:3@s.whatsapp.net' };
    await auth.saveCreds();
    const stored = await store.Auth.findById(`${connectionId}|creds`).lean();
    const creds = auth.state.creds;
    sessionSecrets.push(
      Buffer.from(creds.noiseKey.private).toString('base64'),
      Buffer.from(creds.signedIdentityKey.private).toString('base64'),
      creds.advSecretKey,
      stored!.sealed.data.slice(0, 40),
    );
    const dispatch = await startWorker(services, ['dispatch']);
    try {
      const event = await eventWhere('the session key error', (candidate) =>
        /WHATSAPP_SESSION_KEY does not open/.test(candidate.exception?.values?.[0]?.value ?? ''),
      );
      assert.equal(event.exception?.values?.[0]?.type, 'SessionKeyError');
      assert.equal(event.tags?.connectionId ?? event.contexts?.disparo?.connectionId, connectionId);
      // Session material handed to the reporter by mistake is redacted on the way out.
      services.errorReporter.capture(new Error('session dump'), {
        connectionId,
        creds,
        sealed: stored!.sealed,
        qr: QR,
      });
      await eventWhere('the session dump', (candidate) => candidate.exception?.values?.[0]?.value === 'session dump');
    } finally {
      await dispatch.stop();
    }
  });

  test('nothing that left the process holds a phone number, a token, an API key or WhatsApp Web session secrets', () => {
    assert.ok(sentry.events.length >= 3);
    for (const secret of [TOKEN, API_KEY, 'opaque.credential-0123', '98765-4321', '5511987654321', ...sessionSecrets])
      assert.ok(!sentry.raw.includes(secret), `${secret} was sent to Sentry`);
  });
});
