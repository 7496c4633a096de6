import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routeTable } from '../../src/api/operation';
import {
  ApiKeyList,
  CampaignList,
  CampaignView,
  ConnectionStatusView,
  ContactList,
  CreatedApiKey,
  ListPage,
} from '../../src/api/responses';
import {
  CAMPAIGN_STATUSES,
  type CampaignCommand,
  type CampaignStatus,
  canApply,
} from '../../src/domain/campaigns/campaign-status';
import {
  ADMIN_KEY,
  createCampaign,
  seedCompany,
  startSystem,
  type TestSystem,
  waitForStatus,
  waitUntil,
} from '../support/system';

/**
 * The API's contract over real HTTP, against a started server with the real broker and database:
 * tenant isolation on every route, auth failures, pagination, every campaign state transition and
 * its refusal, connections and contacts changing under running campaigns.
 */

type Seeded = Awaited<ReturnType<typeof seedCompany>>;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const FAST = { messageInterval: 0.05, longerIntervalAfter: 50, greaterInterval: 0.1 };

describe('the API contract', () => {
  let system: TestSystem;
  let a: Seeded;
  let b: Seeded;
  before(async () => {
    system = await startSystem('contract');
    a = await seedCompany(system, { pacing: FAST, contacts: 4, connections: 2 });
    b = await seedCompany(system, { pacing: FAST, contacts: 2 });
  });
  after(() => system.stop());

  const call = (method: string, path: string, key: string, body?: unknown) => system.api(method, path, body, key);

  describe('tenant isolation', () => {
    /** A valid body for each route that reads one, so the refusal can only come from the tenant check. */
    const validBodies = (): Record<string, unknown> => ({
      'PATCH /v1/campaigns/:id': { name: 'stolen' },
      'POST /v1/campaigns/:id/schedule': { scheduledAt: inDays(3) },
      'PATCH /v1/connections/:id': { name: 'stolen' },
      'POST /v1/connections/:id/sandbox/contacts': { contacts: [{ phone: '+5511987650000' }] },
      'POST /v1/connections/:id/pairing': { phone: '+5511987650002' },
      'PATCH /v1/contacts/:id': { name: 'stolen' },
      'POST /v1/contact-lists/:id/contacts': { contacts: [{ phone: '+5511987650001' }] },
      'POST /v1/connections/:id/sandbox/inbound': { from: '+5511987650002', text: 'SAIR' },
    });

    test("every route that takes an id answers 404 to another company's id, and changes nothing", async () => {
      const campaignId = await createCampaign(system, a.key, { connectionId: a.connectionId, listId: a.listId });
      const contact = (await call('GET', '/v1/contacts?limit=1', a.key)).body.items[0];
      const apiKey = (await call('GET', '/v1/api-keys', a.key)).body.items[0];
      const imported = await fetch(`${system.apiUrl}/v1/contact-lists/${a.listId}/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.key}`, 'content-type': 'text/csv' },
        body: 'phone,name\n+5511987651111,Zé\n',
      });
      const importId = ((await imported.json()) as { id: string }).id;
      const sync = (await call('POST', `/v1/connections/${a.connectionId}/sync`, a.key)).body.syncId as string;
      const suppressed = await call('POST', '/v1/suppressions', a.key, { phone: '+5511987653333' });
      assert.equal(suppressed.status, 201);
      const idsOfA: Record<string, string> = {
        campaigns: campaignId,
        connections: a.connectionId,
        'contact-lists': a.listId,
        contacts: contact.id,
        'api-keys': apiKey.id,
        suppressions: '+5511987653333',
      };
      const fill = (path: string) =>
        path.replace(/:(\w+)/g, (_, name: string) =>
          name === 'keyId'
            ? apiKey.id
            : name === 'importId'
              ? importId
              : name === 'syncId'
                ? sync
                : idsOfA[path.split('/')[2]!]!,
        );

      const bodies = validBodies();
      const routes = routeTable(system.app).filter(
        (route) =>
          route.path.startsWith('/v1/') && route.path.includes('/:') && !route.path.startsWith('/v1/companies'),
      );
      assert.ok(routes.length >= 25, `routes with ids: ${routes.length}`);
      const leaks: string[] = [];
      for (const route of routes) {
        const key = `${route.method} ${route.path}`;
        const path = fill(route.path);
        const response =
          route.path.endsWith('/imports') && route.method === 'POST'
            ? await fetch(`${system.apiUrl}${path}`, {
                method: 'POST',
                headers: { authorization: `Bearer ${b.key}`, 'content-type': 'text/csv' },
                body: 'phone\n+5511987652222\n',
              }).then((r) => ({ status: r.status }))
            : await call(route.method, path, b.key, bodies[key]);
        if (response.status !== 404) leaks.push(`${key} → ${response.status}`);
      }
      assert.deepEqual(leaks, [], "another company's ids answer 404");

      // Nothing of A's changed.
      const campaign = await call('GET', `/v1/campaigns/${campaignId}`, a.key);
      assert.equal(campaign.body.status, 'draft');
      assert.equal(campaign.body.name, 'Promoção');
      assert.equal((await call('GET', `/v1/contacts/${contact.id}`, a.key)).body.name, contact.name);
      assert.equal((await call('GET', `/v1/connections/${a.connectionId}`, a.key)).body.status, 'connected');
      assert.equal((await call('GET', '/v1/api-keys', a.key)).body.items.length, 1);
      assert.equal((await call('GET', `/v1/contact-lists/${a.listId}`, a.key)).body.members, 5);
      const stillSuppressed = await call('GET', '/v1/suppressions', a.key);
      assert.deepEqual(
        stillSuppressed.body.items.map((item: { phone: string }) => item.phone),
        ['+5511987653333'],
      );
    });

    test("lists show only the caller's own items", async () => {
      for (const path of ['/v1/campaigns', '/v1/connections', '/v1/contact-lists', '/v1/contacts', '/v1/api-keys']) {
        const [ofA, ofB] = await Promise.all([call('GET', path, a.key), call('GET', path, b.key)]);
        const idsOfA = new Set(ofA.body.items.map((item: { id: string }) => item.id));
        assert.ok(
          ofB.body.items.every((item: { id: string }) => !idsOfA.has(item.id)),
          `${path}: no item of A in B's list`,
        );
      }
      const contactsOfB = await call('GET', '/v1/contacts?search=Cliente', b.key);
      assert.equal(contactsOfB.body.items.length, 2, "B's search finds only B's two contacts");
    });
  });

  describe('authentication', () => {
    test('missing, unknown and malformed keys answer 401 as problems', async () => {
      for (const headers of [
        {},
        { authorization: 'Bearer dsp_nope' },
        { authorization: 'Basic abc' },
        { 'x-api-key': 'nope' },
      ] as Array<Record<string, string>>) {
        const response = await fetch(`${system.apiUrl}/v1/campaigns`, { headers });
        assert.equal(response.status, 401, JSON.stringify(headers));
        assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const viaHeader = await fetch(`${system.apiUrl}/v1/company`, { headers: { 'x-api-key': a.key } });
      assert.equal(viaHeader.status, 200, 'X-Api-Key works as well as Authorization: Bearer');
    });

    test('a new key works at once; revoked, it is refused from the next request on; the plain key is shown once', async () => {
      const created = await call('POST', '/v1/api-keys', a.key, { label: 'integration' });
      assert.equal(created.status, 201);
      CreatedApiKey.parse(created.body);
      assert.equal((await call('GET', '/v1/company', created.body.apiKey)).status, 200);
      const listed = await call('GET', '/v1/api-keys', a.key);
      ApiKeyList.parse(listed.body);
      assert.ok(!JSON.stringify(listed.body).includes(created.body.apiKey), 'the listing never shows a key');
      assert.equal((await call('DELETE', `/v1/api-keys/${created.body.id}`, a.key)).status, 204);
      const refused = await call('GET', '/v1/company', created.body.apiKey);
      assert.equal(refused.status, 401);
      assert.equal((await call('DELETE', `/v1/api-keys/${created.body.id}`, a.key)).status, 404, 'revoked once');
      assert.equal((await call('GET', '/v1/company', a.key)).status, 200, 'the other key still works');
    });

    test('admin routes refuse company keys (403) and company routes refuse the admin key (403)', async () => {
      const document = (await system.api('GET', '/openapi.json')).body;
      let admin = 0;
      for (const [path, methods] of Object.entries(
        document.paths as Record<string, Record<string, { 'x-access': string }>>,
      )) {
        for (const [method, operation] of Object.entries(methods)) {
          const concrete = path.replace(/\{(\w+)\}/g, '0123456789abcdef01234567');
          if (operation['x-access'] === 'admin') {
            admin++;
            assert.equal(
              (await call(method.toUpperCase(), concrete, a.key, method === 'get' ? undefined : {})).status,
              403,
              `${method} ${path} with a company key`,
            );
          }
          if (operation['x-access'] === 'company' && method === 'get' && !path.includes('{')) {
            assert.equal((await call('GET', concrete, ADMIN_KEY)).status, 403, `${method} ${path} with the admin key`);
          }
        }
      }
      assert.ok(admin >= 5, `admin operations checked: ${admin}`);
    });

    test('the admin manages companies: list, read, change settings, issue a key', async () => {
      const listed = await call('GET', '/v1/companies?limit=1', ADMIN_KEY);
      assert.equal(listed.body.items.length, 1);
      assert.ok(listed.body.nextCursor);
      const changed = await call('PATCH', `/v1/companies/${b.companyId}`, ADMIN_KEY, {
        pacing: { greaterInterval: 0.2 },
        defaultRegion: 'PT',
      });
      assert.equal(changed.status, 200);
      assert.deepEqual(
        changed.body.pacing,
        { messageInterval: 0.05, longerIntervalAfter: 50, greaterInterval: 0.2 },
        'pacing fields merge',
      );
      assert.equal((await call('GET', '/v1/company', b.key)).body.defaultRegion, 'PT');
      const issued = await call('POST', `/v1/companies/${b.companyId}/api-keys`, ADMIN_KEY, { label: 'recovery' });
      assert.equal(issued.status, 201);
      assert.equal((await call('GET', '/v1/company', issued.body.apiKey)).body.id, b.companyId);
      assert.equal((await call('GET', '/v1/companies/0123456789abcdef01234567', ADMIN_KEY)).status, 404);
      const own = await call('PATCH', '/v1/company', b.key, { pacing: { messageInterval: 0.06 } });
      assert.equal(own.body.pacing.messageInterval, 0.06, 'a company changes its own settings too');
    });
  });

  describe('pagination', () => {
    test('cursors walk a list newest first, without repeats, to a null cursor; limits are bounded', async () => {
      const c = await seedCompany(system, { pacing: FAST, contacts: 7 });
      const created: string[] = [];
      for (let i = 0; i < 7; i++)
        created.push(
          await createCampaign(system, c.key, { name: `Page ${i}`, connectionId: c.connectionId, listId: c.listId }),
        );
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } = await call(
          'GET',
          `/v1/campaigns?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          c.key,
        );
        assert.equal(page.status, 200);
        CampaignList.parse(page.body);
        assert.ok(page.body.items.length <= 3);
        seen.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...created].reverse(), 'every campaign once, newest first');

      const drafts = await call('GET', '/v1/campaigns?status=draft&limit=200', c.key);
      assert.equal(drafts.body.items.length, 7);
      assert.equal(drafts.body.nextCursor, null);
      assert.equal((await call('GET', '/v1/campaigns?status=running', c.key)).body.items.length, 0);

      const contacts: string[] = [];
      cursor = null;
      do {
        const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await call(
          'GET',
          `/v1/contacts?listId=${c.listId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          c.key,
        );
        ContactList.parse(page.body);
        contacts.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.equal(new Set(contacts).size, 7, 'every contact of the list once');
      ListPage.parse((await call('GET', '/v1/contact-lists', c.key)).body);

      for (const query of [
        'limit=0',
        'limit=201',
        'limit=abc',
        'limit=-1',
        'cursor=nope',
        'cursor=0123',
        'page=2',
        'status=nope',
      ]) {
        const refused = await call('GET', `/v1/campaigns?${query}`, c.key);
        assert.equal(refused.status, 400, query);
        assert.ok(
          refused.body.errors.some((error: { field: string }) => error.field.startsWith('query.')),
          `${query}: the bad field is named`,
        );
      }
      const bounded = await call('GET', '/v1/campaigns?limit=200', c.key);
      assert.equal(bounded.status, 200);
    });

    test('contacts are found by part of the name or of the phone', async () => {
      const byName = await call('GET', '/v1/contacts?search=cliente%203', a.key);
      assert.deepEqual(
        byName.body.items.map((item: { name: string }) => item.name),
        ['Cliente 3'],
      );
      const byPhone = await call('GET', '/v1/contacts?search=80000002', a.key);
      assert.equal(byPhone.body.items.length, 1);
      assert.equal(byPhone.body.items[0].phone, '+5511980000002');
      const regexJunk = await call('GET', `/v1/contacts?search=${encodeURIComponent('.*(')}`, a.key);
      assert.equal(regexJunk.status, 200, 'a search is text, not a pattern');
      assert.equal(regexJunk.body.items.length, 0);
    });
  });

  describe('campaign state transitions', () => {
    const commands: CampaignCommand[] = ['schedule', 'start', 'update', 'delete', 'pause', 'resume', 'cancel'];

    /** A campaign of company A in the given status (on the second number, kept for these). */
    async function campaignIn(status: CampaignStatus): Promise<string> {
      const connectionId = a.connections[1]!;
      const slow = { pacing: { messageInterval: 30, longerIntervalAfter: 50, greaterInterval: 60 } };
      switch (status) {
        case 'draft':
          return createCampaign(system, a.key, { connectionId, listId: a.listId });
        case 'scheduled':
          return createCampaign(system, a.key, { connectionId, listId: a.listId, scheduledAt: inDays(2) });
        case 'queued': {
          // Due within the check's window: claimed at once, then waits for its time.
          const id = await createCampaign(system, a.key, {
            connectionId,
            listId: a.listId,
            scheduledAt: new Date(Date.now() + 30 * 60_000).toISOString(),
          });
          await waitForStatus(system, a.key, id, 'queued', 10_000);
          return id;
        }
        case 'running': {
          const id = await createCampaign(system, a.key, { connectionId, listId: a.listId, ...slow });
          await call('POST', `/v1/campaigns/${id}/start`, a.key);
          await waitForStatus(system, a.key, id, 'running', 15_000);
          return id;
        }
        case 'paused': {
          const id = await campaignIn('scheduled');
          await call('POST', `/v1/campaigns/${id}/pause`, a.key);
          return id;
        }
        case 'completed': {
          const id = await createCampaign(system, a.key, { connectionId: a.connectionId, listId: a.listId });
          await call('POST', `/v1/campaigns/${id}/start`, a.key);
          await waitForStatus(system, a.key, id, 'completed', 30_000);
          return id;
        }
        case 'cancelled': {
          const id = await campaignIn('draft');
          await call('POST', `/v1/campaigns/${id}/cancel`, a.key);
          return id;
        }
      }
    }

    const apply = (command: CampaignCommand, id: string) => {
      switch (command) {
        case 'update':
          return call('PATCH', `/v1/campaigns/${id}`, a.key, { name: 'Renamed', variants: ['Oi {name}'] });
        case 'delete':
          return call('DELETE', `/v1/campaigns/${id}`, a.key);
        case 'schedule':
          return call('POST', `/v1/campaigns/${id}/schedule`, a.key, { scheduledAt: inDays(3) });
        default:
          return call('POST', `/v1/campaigns/${id}/${command}`, a.key);
      }
    };

    for (const status of CAMPAIGN_STATUSES) {
      test(`from ${status}: ${commands.map((command) => `${command} ${canApply(command, status) ? 'allowed' : '409'}`).join(', ')}`, async () => {
        // Refused commands change nothing, so one campaign takes them all.
        const refusedOn = await campaignIn(status);
        for (const command of commands.filter((c) => !canApply(c, status))) {
          const refused = await apply(command, refusedOn);
          assert.equal(refused.status, 409, `${command} from ${status}`);
          assert.match(refused.body.detail, new RegExp(`cannot ${command} a campaign that is ${status}`));
        }
        if (!['running', 'queued'].includes(status))
          assert.equal(
            (await call('GET', `/v1/campaigns/${refusedOn}`, a.key)).body.status,
            status,
            'refusals changed nothing',
          );
        for (const command of commands.filter((c) => canApply(c, status))) {
          const id = await campaignIn(status);
          const applied = await apply(command, id);
          assert.ok(
            applied.status >= 200 && applied.status < 300,
            `${command} from ${status}: ${applied.status} ${JSON.stringify(applied.body)}`,
          );
          const after = await call('GET', `/v1/campaigns/${id}`, a.key);
          if (command === 'delete') assert.equal(after.status, 404);
          else CampaignView.parse(after.body);
          if (command === 'cancel') assert.equal(after.body.status, 'cancelled');
          if (command === 'pause') assert.equal(after.body.status, 'paused');
          if (command === 'update') assert.equal(after.body.name, 'Renamed');
          if (command === 'schedule') assert.equal(after.body.status, 'scheduled');
          if (command === 'resume')
            assert.equal(after.body.status, 'scheduled', 'a campaign paused before it ran goes back to scheduled');
        }
      });
    }

    test('update while scheduled: new content, stricter pacing and a moved schedule; references checked', async () => {
      const id = await campaignIn('scheduled');
      const at = inDays(4);
      const updated = await call('PATCH', `/v1/campaigns/${id}`, a.key, {
        variants: ['Nova {name}'],
        mediaUrl: 'https://example.com/a.png',
        pacing: { messageInterval: 40 },
        scheduledAt: at,
      });
      assert.equal(updated.status, 200);
      assert.deepEqual(updated.body.variants, ['Nova {name}']);
      assert.equal(updated.body.pacing.messageInterval, 40);
      assert.equal(updated.body.scheduledAt, at);
      assert.equal(updated.body.status, 'scheduled');
      const badRef = await call('PATCH', `/v1/campaigns/${id}`, a.key, { listId: b.listId });
      assert.equal(badRef.status, 400, "another company's list is not a list of this one");
      assert.deepEqual(badRef.body.errors, [{ field: 'body.listId', message: 'no such contact list' }]);
      const empty = await call('PATCH', `/v1/campaigns/${id}`, a.key, {});
      assert.equal(empty.status, 400);
    });
  });

  describe('connections and contacts under running campaigns', () => {
    test('disconnect pauses the number’s campaigns and refuses starts; connect lets them resume and finish', async () => {
      const c = await seedCompany(system, {
        pacing: { messageInterval: 0.2, longerIntervalAfter: 50, greaterInterval: 0.3 },
        contacts: 8,
      });
      const id = await createCampaign(system, c.key, { connectionId: c.connectionId, listId: c.listId });
      await call('POST', `/v1/campaigns/${id}/start`, c.key);
      await waitUntil('a first send', async () => (await system.sandboxSends(c.connectionId)).length >= 1, 10_000, 20);

      const disconnected = await call('POST', `/v1/connections/${c.connectionId}/disconnect`, c.key);
      assert.equal(disconnected.status, 202);
      assert.equal(disconnected.body.status, 'disconnected');
      assert.equal(disconnected.body.pausedCampaigns, 1);
      assert.equal(
        (await call('POST', `/v1/connections/${c.connectionId}/disconnect`, c.key)).status,
        409,
        'disconnected already',
      );
      const status = await call('GET', `/v1/connections/${c.connectionId}/status`, c.key);
      ConnectionStatusView.parse(status.body);
      assert.equal(status.body.status, 'disconnected');
      assert.ok(status.body.lane.lastSentAt, 'the lane’s last send is shown');
      const refused = await call('POST', `/v1/campaigns/${id}/resume`, c.key);
      assert.equal(refused.status, 409);
      assert.match(refused.body.detail, /disconnected/);
      const other = await createCampaign(system, c.key, { connectionId: c.connectionId, listId: c.listId });
      assert.equal(
        (await call('POST', `/v1/campaigns/${other}/start`, c.key)).status,
        409,
        'nothing starts on a disconnected number',
      );

      const connected = await call('POST', `/v1/connections/${c.connectionId}/connect`, c.key);
      assert.equal(connected.status, 202);
      assert.equal(connected.body.status, 'connected');
      assert.equal((await call('POST', `/v1/campaigns/${id}/resume`, c.key)).status, 202);
      const done = await waitForStatus(system, c.key, id, 'completed', 30_000);
      assert.equal(done.counters.sent, 8);
      const sends = await system.sandboxSends(c.connectionId);
      assert.equal(new Set(sends.map((send) => send.to)).size, sends.length, 'no contact twice');
    });

    test('deleting contacts mid-campaign cancels their messages not yet sent; the campaign completes', async () => {
      const c = await seedCompany(system, {
        pacing: { messageInterval: 0.25, longerIntervalAfter: 50, greaterInterval: 0.3 },
        contacts: 10,
      });
      const id = await createCampaign(system, c.key, { connectionId: c.connectionId, listId: c.listId });
      await call('POST', `/v1/campaigns/${id}/start`, c.key);
      await waitUntil('two sends', async () => (await system.sandboxSends(c.connectionId)).length >= 2, 10_000, 20);
      const sentSoFar = new Set((await system.sandboxSends(c.connectionId)).map((send) => send.to));
      const contacts = (await call('GET', `/v1/contacts?listId=${c.listId}&limit=200`, c.key)).body.items as Array<{
        id: string;
        phone: string;
      }>;
      const doomed = contacts.filter((contact) => !sentSoFar.has(contact.phone)).slice(0, 3);
      let cancelled = 0;
      for (const contact of doomed) {
        const deleted = await call('DELETE', `/v1/contacts/${contact.id}`, c.key);
        assert.equal(deleted.status, 200);
        cancelled += deleted.body.cancelledShippings;
        assert.equal((await call('GET', `/v1/contacts/${contact.id}`, c.key)).status, 404);
      }
      const done = await waitForStatus(system, c.key, id, 'completed', 30_000);
      const sends = await system.sandboxSends(c.connectionId);
      const sentTo = new Set(sends.map((send) => send.to));
      const deletedAndSent = doomed.filter((contact) => sentTo.has(contact.phone)).length;
      assert.equal(done.counters.sent + done.counters.cancelled, 10, 'every shipping reached an end');
      assert.equal(done.counters.cancelled, cancelled);
      assert.equal(
        deletedAndSent,
        3 - cancelled,
        'a deleted contact is either sent (it was in flight) or cancelled, never both',
      );
      assert.ok(cancelled >= 2, `most deleted contacts' messages were cancelled (${cancelled})`);
    });

    test('a contact is changed: phone normalised, duplicates refused (409), fields replaced', async () => {
      const contacts = (await call('GET', `/v1/contacts?listId=${b.listId}`, b.key)).body.items as Array<{
        id: string;
        phone: string;
      }>;
      const [first, second] = contacts;
      const changed = await call('PATCH', `/v1/contacts/${first!.id}`, b.key, {
        phone: '+351 912 345 678',
        name: 'Ana',
        fields: { city: 'Porto', vip: true },
      });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.phone, '+351912345678');
      assert.deepEqual(changed.body.fields, { city: 'Porto', vip: 'true' });
      assert.equal(changed.body.onWhatsApp, null, 'a new number is checked again');
      const duplicate = await call('PATCH', `/v1/contacts/${second!.id}`, b.key, { phone: '+351912345678' });
      assert.equal(duplicate.status, 409);
      const invalid = await call('PATCH', `/v1/contacts/${second!.id}`, b.key, { phone: '12' });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.errors[0].field, 'body.phone');
    });
  });
});
