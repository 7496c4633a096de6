import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { ConnectionHalted, ConnectionService } from '../../src/application/connections/connection-lifecycle';
import { isAppError } from '../../src/domain/errors';
import { newCorrelation } from '../../src/domain/events/envelope';
import { createLogger } from '../../src/infrastructure/observability/logger';
import { InMemoryConnectionRepository, InMemoryPairingRecords } from '../support/in-memory-connections';
import { ManualClock, RecordedEvents } from '../support/in-memory-shippings';

describe('connection service', () => {
  let connections: InMemoryConnectionRepository;
  let pairings: InMemoryPairingRecords;
  let events: RecordedEvents;
  let clock: ManualClock;
  let lanes: string[];
  let pausedOf: string[];
  let captured: unknown[];
  let service: ConnectionService;
  const companyId = new Types.ObjectId();
  const cause = newCorrelation(String(companyId));
  const conflict = (error: unknown) => isAppError(error, 'conflict');
  const notFound = (error: unknown) => isAppError(error, 'not-found');

  beforeEach(() => {
    clock = new ManualClock();
    connections = new InMemoryConnectionRepository(clock.now);
    pairings = new InMemoryPairingRecords();
    events = new RecordedEvents();
    lanes = [];
    pausedOf = [];
    captured = [];
    service = new ConnectionService({
      connections,
      pairings,
      events,
      declareLane: async (connectionId) => {
        lanes.push(connectionId);
      },
      pauseCampaignsOf: async (connectionId) => {
        pausedOf.push(connectionId);
        return 2;
      },
      logger: createLogger({ level: 'error', service: 'test', silent: true }),
      now: clock.now,
    });
  });

  const reporter = () => ({
    capture: (error: unknown) => {
      captured.push(error);
    },
    flush: async () => {},
  });

  test('create: connected, its lane declared, ConnectionCreated then ConnectionConnected', async () => {
    const created = await service.create(cause, {
      name: 'Sales',
      gateway: 'sandbox',
      sandbox: { latencyMs: 0, failureRate: 0 },
      cloudApi: null,
    });
    assert.equal(created.status, 'connected');
    assert.equal(String(created.companyId), String(companyId));
    assert.deepEqual(lanes, [String(created._id)]);
    assert.deepEqual(events.types(), ['ConnectionCreated', 'ConnectionConnected']);
  });

  test('find: another company’s connection or a malformed id is not found', async () => {
    const other = connections.add();
    await assert.rejects(service.find(String(companyId), String(other._id)), notFound);
    await assert.rejects(service.find(String(companyId), 'nope'), notFound);
    const own = connections.add({ companyId });
    assert.equal(String((await service.find(String(companyId), String(own._id)))._id), String(own._id));
  });

  test('disconnect pauses its campaigns; connect brings it back, clears the halt and syncs', async () => {
    const connection = connections.add({ companyId });
    const id = String(connection._id);
    const { pausedCampaigns } = await service.disconnect(cause, id);
    assert.equal(pausedCampaigns, 2);
    assert.equal(connections.status(id), 'disconnected');
    assert.deepEqual(pausedOf, [id]);
    await assert.rejects(service.disconnect(cause, id), conflict, 'disconnected already');
    const after = await service.connect(cause, id);
    assert.equal(after.status, 'connected');
    assert.deepEqual(events.types(), ['ConnectionConnected']);
    assert.deepEqual(lanes, [id]);
    await assert.rejects(service.connect(cause, id), conflict, 'connected already');
  });

  test('halt: once (the first caller alerts at the clock’s time), campaigns paused by every caller', async () => {
    const connection = connections.add({ companyId });
    const id = String(connection._id);
    assert.equal(await service.halt(id, 'spam limit', { errorReporter: reporter() }), 2);
    const stored = await connections.findById(id);
    assert.equal(stored?.status, 'halted');
    assert.equal(stored?.haltedReason, 'spam limit');
    assert.equal(stored?.haltedAt?.getTime(), clock.now());
    clock.advance(1_000);
    await service.halt(id, 'again', { errorReporter: reporter() });
    assert.equal((await connections.findById(id))?.haltedReason, 'spam limit', 'the first halt is kept');
    assert.equal(captured.length, 1);
    assert.ok(captured[0] instanceof ConnectionHalted);
    assert.deepEqual(pausedOf, [id, id]);
    await service.connect(cause, id);
    const lifted = await connections.findById(id);
    assert.equal(lifted?.status, 'connected');
    assert.equal(lifted?.haltedReason, null);
  });

  test('update: settings change; lift ends a halt', async () => {
    const connection = connections.add({ companyId, status: 'halted', haltedReason: 'bad token' });
    const renamed = await service.update(connection, { name: 'Renamed' }, false);
    assert.equal(renamed.name, 'Renamed');
    assert.equal(renamed.status, 'halted');
    const lifted = await service.update(connection, {}, true);
    assert.equal(lifted.status, 'connected');
    assert.equal(lifted.haltedReason, null);
    await assert.rejects(service.update({ ...connection, _id: new Types.ObjectId() }, {}, false), notFound);
  });

  test('assertUsable: halted, pairing and disconnected numbers refuse a start', async () => {
    for (const status of ['halted', 'pairing', 'disconnected'] as const) {
      const connection = connections.add({ status });
      await assert.rejects(service.assertUsable(String(connection._id)), conflict, status);
    }
    await service.assertUsable(String(connections.add()._id));
  });

  test('WhatsApp Web: pairing → connected once (the record cleared, ConnectionConnected)', async () => {
    const connection = await service.startPairing(String(companyId), 'Web');
    const id = String(connection._id);
    assert.equal(connection.status, 'pairing');
    assert.equal(connection.gateway, 'whatsapp-web');
    assert.deepEqual(lanes, [id]);
    assert.ok(pairings.open_.has(id));
    await assert.rejects(service.connect(cause, id), conflict, 'a number being paired is not connected by hand');
    assert.equal(await service.pair(id, cause), true);
    assert.equal(await service.pair(id, cause), false, 'a second socket open changes nothing');
    assert.equal(connections.status(id), 'connected');
    assert.deepEqual(pairings.log, [`open ${id}`, `linked ${id}`]);
    assert.deepEqual(events.types(), ['ConnectionConnected']);
  });

  test('WhatsApp Web: connect again re-pairs a disconnected number; cancel only while pairing', async () => {
    const connection = connections.add({ companyId, gateway: 'whatsapp-web', status: 'disconnected' });
    const id = String(connection._id);
    const repaired = await service.connect(cause, id);
    assert.equal(repaired.status, 'pairing');
    assert.deepEqual(pairings.log, [`reopen ${id}`]);
    await service.cancelPairing(repaired);
    assert.equal(connections.byId.has(id), false);
    assert.deepEqual(pairings.log, [`reopen ${id}`, `forget ${id}`]);
    const linked = connections.add({ companyId, gateway: 'whatsapp-web', status: 'connected' });
    await assert.rejects(service.cancelPairing(linked), conflict);
    assert.ok(connections.byId.has(String(linked._id)));
  });

  test('WhatsApp Web: a pairing that cannot be opened leaves nothing behind', async () => {
    pairings.failNextOpen = true;
    await assert.rejects(service.startPairing(String(companyId), 'Web'), /pairing store unavailable/);
    assert.equal(connections.byId.size, 0);
    assert.equal(pairings.open_.size, 0);
  });

  test('WhatsApp Web pairing record: QRs counted, a code asked (valid phone, pairing only), recorded for that phone', async () => {
    const started = await service.startPairing(String(companyId), 'Web');
    const id = String(started._id);
    await service.recordPairingQr(id, 'qr-1', 'worker-a');
    clock.advance(20_000);
    await service.recordPairingQr(id, 'qr-2', 'worker-a');
    let { pairing } = await service.pairingOf(String(companyId), id);
    assert.deepEqual([pairing?.qr, pairing?.qrCount, pairing?.holder], ['qr-2', 2, 'worker-a']);
    assert.deepEqual(pairing?.qrAt, new Date(clock.now()));

    const regions: string[] = [];
    const regionOf = async (company: string) => {
      regions.push(company);
      return 'BR';
    };
    await assert.rejects(service.requestPairingCode(String(companyId), id, 'nope', regionOf), (error: unknown) =>
      isAppError(error, 'invalid'),
    );
    const asked = await service.requestPairingCode(String(companyId), id, '(11) 91111-0000', regionOf);
    assert.equal(asked.phone, '5511911110000', 'digits with the country code, as WhatsApp takes them');
    assert.deepEqual(regions, [String(companyId), String(companyId)]);
    await service.recordPairingCode(id, '5500000000000', { code: 'WRONG' });
    await service.recordPairingCode(id, '5511911110000', { code: 'ABCD-EFGH' });
    ({ pairing } = await service.pairingOf(String(companyId), id));
    assert.deepEqual([pairing?.code, pairing?.codeAt], ['ABCD-EFGH', new Date(clock.now())]);
    await service.requestPairingCode(String(companyId), id, '11 92222-0000', regionOf);
    await service.recordPairingCode(id, '5511922220000', { error: 'rate limited' });
    ({ pairing } = await service.pairingOf(String(companyId), id));
    assert.deepEqual([pairing?.error, pairing?.phone, pairing?.code], ['rate limited', null, null]);

    await service.pair(id, null);
    ({ pairing } = await service.pairingOf(String(companyId), id));
    assert.deepEqual([pairing?.qr, pairing?.phone], [null, null], 'linked: the QR and phone shown are cleared');
    await assert.rejects(
      service.requestPairingCode(String(companyId), id, '11 91111-0000', regionOf),
      conflict,
      'a linked number takes no code',
    );
    await service.forgetSession(id);
    assert.equal((await service.pairingOf(String(companyId), id)).pairing, null);
  });

  test('WhatsApp Web pairing record: only a whatsapp-web number of the company has one', async () => {
    const sandbox = connections.add({ companyId });
    await assert.rejects(service.pairingOf(String(companyId), String(sandbox._id)), conflict);
    const other = connections.add({ gateway: 'whatsapp-web', status: 'pairing' });
    await assert.rejects(service.pairingOf(String(companyId), String(other._id)), notFound);
    await assert.rejects(
      service.requestPairingCode(String(companyId), String(sandbox._id), '11 91111-0000', async () => 'BR'),
      conflict,
    );
  });
});
