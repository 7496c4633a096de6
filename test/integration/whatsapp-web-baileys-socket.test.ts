import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { decideClose } from '../../src/domain/whatsapp/whatsapp-web-errors';
import { useMongoAuthState } from '../../src/infrastructure/gateways/whatsapp-web/auth-store';
import { SessionCipher } from '../../src/infrastructure/gateways/whatsapp-web/session-cipher';
import { statusCodeOf } from '../../src/infrastructure/gateways/whatsapp-web/web-session';
import { createBaileysSocketFactory } from '../../src/infrastructure/gateways/whatsapp-web/web-socket';
import { whatsappWebStore } from '../../src/infrastructure/gateways/whatsapp-web/web-store';
import { createLogger } from '../../src/infrastructure/observability/logger';
import { testMongoUrl } from '../support/infrastructure';
import { freePort } from '../support/system';

/**
 * The real Baileys socket, built by the production factory with the encrypted MongoDB auth state,
 * pointed at a closed local port instead of WhatsApp (no network here): it loads (ESM from this
 * CommonJS build), has every call Disparo uses, and reports the failed connection as a close that
 * Disparo decides to reconnect after.
 */
describe('the production socket factory (real Baileys, local address)', () => {
  let db: mongoose.Connection;
  before(async () => {
    db = await mongoose.createConnection(testMongoUrl('web-baileys')).asPromise();
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  });

  test('makeWASocket with our auth state: the calls exist, a refused connection closes as transient', async () => {
    const connectionId = new mongoose.Types.ObjectId().toHexString();
    const auth = await useMongoAuthState(whatsappWebStore(db), new SessionCipher(randomBytes(32)), connectionId);
    const port = await freePort(); // nothing listens there
    const factory = createBaileysSocketFactory({ webSocketUrl: `ws://127.0.0.1:${port}/ws/chat` });
    const logger = createLogger({ level: 'error', service: 'test', silent: true });
    const socket = await factory({ connectionId, auth: auth.state, logger });
    for (const call of ['sendMessage', 'onWhatsApp', 'requestPairingCode', 'logout', 'end'] as const)
      assert.equal(typeof socket[call], 'function', call);
    const closed = await new Promise<unknown>((resolve) => {
      socket.ev.on('connection.update', (update) => {
        if (update.connection === 'close') resolve(update.lastDisconnect?.error);
      });
    });
    await socket.end(undefined);
    const statusCode = statusCodeOf(closed);
    assert.equal(decideClose(statusCode).action, 'reconnect', `close status ${statusCode}`);
  });
});
