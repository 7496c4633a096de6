import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeWhatsAppWeb } from '../support/fake-whatsapp-web-socket';
import {
  ADMIN_KEY,
  createCampaign,
  spawnWorker,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

const PRELOAD = join(__dirname, '..', 'support', 'fake-whatsapp-web-preload.ts');
const LEASE_MS = 4_000;

describe('WhatsApp Web socket ownership across worker processes', () => {
  let system: TestSystem;
  let fake: FakeWhatsAppWeb;
  const children: Array<Awaited<ReturnType<typeof spawnWorker>>> = [];

  before(async () => {
    fake = await new FakeWhatsAppWeb({ qrIntervalMs: 500, qrsPerSocket: 20 }).start();
    // In this process: everything but dispatch (a scheduler that reconciles fast). Dispatch, and so
    // the WhatsApp Web sockets, run in two separate worker processes.
    system = await startSystem('web-failover', {
      workers: [['event-recorder', 'campaign-process', 'contact-prepare', 'contact-sync', 'scheduler']],
      env: {
        WHATSAPP_SESSION_KEY: randomBytes(32).toString('hex'),
        WHATSAPP_WEB_LEASE_MS: String(LEASE_MS),
        WHATSAPP_WEB_RECONNECT_MAX_MS: '500',
        RECONCILE_EVERY_MS: '500',
        RECONCILE_STUCK_AFTER_MS: '3000',
      },
    });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await system?.stop();
    await fake?.stop();
  });

  test('SIGKILL of the worker holding the socket: the other takes it over after the lease; never open twice, never sent twice', async () => {
    const env = { NODE_OPTIONS: `--import tsx --import ${PRELOAD}`, FAKE_WHATSAPP_WEB_URL: fake.url };
    children.push(await spawnWorker(system, 'dispatch', env));
    children.push(await spawnWorker(system, 'dispatch', env));
    const company = await system.api(
      'POST',
      '/v1/companies',
      { name: 'Loja', pacing: { messageInterval: 0.15, longerIntervalAfter: 100, greaterInterval: 0.5 } },
      ADMIN_KEY,
    );
    const key = company.body.apiKey as string;
    const created = await system.api('POST', '/v1/connections', { name: 'Web', gateway: 'whatsapp-web' }, key);
    const id = created.body.id as string;
    await waitUntil(
      'a socket showing a QR',
      async () => fake.openSockets(id).length === 1 && fake.qrsShown(id) > 0,
      20_000,
    );
    fake.scan(id);
    await waitUntil(
      'connected',
      async () => (await system.api('GET', `/v1/connections/${id}`, undefined, key)).body.status === 'connected',
      20_000,
    );
    const list = await system.api('POST', '/v1/contact-lists', { name: 'Todos' }, key);
    const phones = Array.from({ length: 30 }, (_, i) => `+55119333${String(10_000 + i)}`);
    await system.api(
      'POST',
      `/v1/contact-lists/${list.body.id}/contacts`,
      { contacts: phones.map((phone) => ({ phone })) },
      key,
    );
    const campaignId = await createCampaign(system, key, { connectionId: id, listId: list.body.id, variants: ['Oi'] });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, key);
    await waitUntil(
      'eight sends',
      async () => fake.sends.filter((send) => send.connectionId === id).length >= 8,
      30_000,
      20,
    );
    // The holder is the worker whose socket is open now (the lease may have moved before, under load).
    const open = fake.openSockets(id);
    assert.equal(open.length, 1);
    const holder = children.find((child) => child.pid === open[0]!.pid)!;
    const survivor = children.find((child) => child.pid !== open[0]!.pid)!;
    assert.ok(holder && survivor, 'the socket is held by one of the two workers');
    const killedAt = Date.now();
    holder.kill('SIGKILL');
    await holder.exited();

    const done = await waitForStatus(system, key, campaignId, 'completed', 90_000);
    const sends = fake.sends.filter((send) => send.connectionId === id);
    const takenOver = fake.sockets.find(
      (socket) =>
        socket.connectionId === id && socket.pid === survivor.pid && socket.linked && socket.openedAt >= killedAt,
    );
    assert.ok(takenOver, 'the surviving worker opened the number’s socket');
    const timeline = fake.sockets
      .filter((socket) => socket.connectionId === id)
      .map((socket) => ({
        pid: socket.pid,
        linked: socket.linked,
        opened: socket.openedAt - killedAt,
        closed: (socket.closedAt ?? 0) - killedAt,
      }));
    console.log(JSON.stringify({ holder: holder.pid, survivor: survivor.pid, timeline, counters: done.counters }));
    assert.ok(takenOver.openedAt - killedAt >= LEASE_MS * 0.5, 'not before the dead holder’s lease ran out');
    assert.deepEqual(fake.doubleOpens, [], 'never two sockets of the number open at once');
    assert.equal(new Set(sends.map((send) => send.jid)).size, sends.length, 'no contact received two messages');
    assert.equal(done.counters.sent + done.counters.failed, 30);
    assert.ok(done.counters.failed <= 1, 'at most the one send in flight at the kill is failed (unknown outcome)');
    assert.ok(
      sends.some((send) => send.pid === survivor.pid && send.at > killedAt),
      'the survivor sent the rest',
    );
    // The send in flight at the kill may have reached WhatsApp: it is failed as an unknown outcome, not repeated.
    assert.ok(sends.length >= done.counters.sent && sends.length <= done.counters.sent + done.counters.failed);
  });
});
