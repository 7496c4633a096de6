import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { useMongoAuthState } from '../../src/infrastructure/gateways/whatsapp-web/auth-store';
import { loadBaileys } from '../../src/infrastructure/gateways/whatsapp-web/baileys';
import { SessionCipher, SessionKeyError } from '../../src/infrastructure/gateways/whatsapp-web/session-cipher';
import { whatsappWebStore } from '../../src/infrastructure/gateways/whatsapp-web/web-store';
import { testMongoUrl } from '../support/infrastructure';

describe('WhatsApp Web auth state in MongoDB, encrypted', () => {
  let db: mongoose.Connection;
  before(async () => {
    db = await mongoose.createConnection(testMongoUrl('web-auth')).asPromise();
  });
  after(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  });

  test('round-trips Baileys credentials and signal keys (Buffers included), stores only ciphertext', async () => {
    const { initAuthCreds, Curve, proto, BufferJSON } = await loadBaileys();
    assert.equal(typeof initAuthCreds, 'function');
    const store = whatsappWebStore(db);
    const key = randomBytes(32);
    const connectionId = new mongoose.Types.ObjectId().toHexString();
    const first = await useMongoAuthState(store, new SessionCipher(key), connectionId);
    assert.equal(first.state.creds.registered, false, 'a new session starts from initAuthCreds');
    first.state.creds.me = { id: '5511999990001:7@s.whatsapp.net', name: 'Loja' };
    await first.saveCreds();
    const preKey = Curve.generateKeyPair();
    const session = randomBytes(300);
    const appStateKey = proto.Message.AppStateSyncKeyData.fromObject({
      keyData: randomBytes(32),
      fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 1] },
      timestamp: 1_700_000_000,
    });
    await first.state.keys.set({
      'pre-key': { '1': preKey, '2': Curve.generateKeyPair() },
      session: { '5511988887777.0': session },
      'app-state-sync-key': { AAAA: appStateKey },
    });
    await first.state.keys.set({ 'pre-key': { '2': null } });

    const again = await useMongoAuthState(store, new SessionCipher(key), connectionId);
    assert.equal(
      JSON.stringify(again.state.creds, BufferJSON.replacer),
      JSON.stringify(first.state.creds, BufferJSON.replacer),
    );
    assert.ok(Buffer.isBuffer(again.state.creds.noiseKey.private), 'key material comes back as Buffers');
    const preKeys = await again.state.keys.get('pre-key', ['1', '2']);
    assert.deepEqual(Buffer.from(preKeys['1']!.private), Buffer.from(preKey.private));
    assert.equal(preKeys['2'], undefined, 'a key set to null is deleted');
    const sessions = await again.state.keys.get('session', ['5511988887777.0']);
    assert.deepEqual(Buffer.from(sessions['5511988887777.0']!), session);
    const appKeys = await again.state.keys.get('app-state-sync-key', ['AAAA']);
    assert.ok(appKeys.AAAA instanceof proto.Message.AppStateSyncKeyData);
    assert.deepEqual(Buffer.from(appKeys.AAAA!.keyData!), Buffer.from(appStateKey.keyData!));

    const raw = JSON.stringify(await store.Auth.collection.find({ connectionId }).toArray());
    for (const secret of [
      Buffer.from(again.state.creds.noiseKey.private).toString('base64'),
      Buffer.from(preKey.private).toString('base64'),
      session.toString('base64'),
      '5511999990001',
      again.state.creds.advSecretKey,
    ])
      assert.ok(!raw.includes(secret), 'no secret stored in the clear');

    await assert.rejects(useMongoAuthState(store, new SessionCipher(randomBytes(32)), connectionId), (error: Error) => {
      assert.ok(error instanceof SessionKeyError);
      assert.match(error.message, /WHATSAPP_SESSION_KEY/);
      return true;
    });
  });
});
