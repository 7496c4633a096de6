import type { AuthenticationCreds, AuthenticationState, SignalDataTypeMap } from '@whiskeysockets/baileys';
import { loadBaileys } from './baileys';
import type { SessionCipher } from './session-cipher';
import type { WhatsAppWebStore } from './web-store';

export interface MongoAuthState {
  state: AuthenticationState;
  /** Persists `state.creds` (call on every `creds.update`, after merging the update into it). */
  saveCreds(): Promise<void>;
}

const credsId = (connectionId: string) => `${connectionId}|creds`;
const keyId = (connectionId: string, type: string, id: string) => `${connectionId}|${type}|${id}`;

/** Whether any session secret is stored for the number (a session that was linked). */
export async function hasStoredSession(store: WhatsAppWebStore, connectionId: string): Promise<boolean> {
  return (await store.Auth.exists({ _id: credsId(connectionId) })) !== null;
}

/**
 * Baileys' authentication state (credentials and signal keys) kept in MongoDB, each value
 * serialised with Baileys' own BufferJSON (Buffers survive) and sealed with AES-256-GCM. Every
 * read is by `_id`. A value that does not open (wrong WHATSAPP_SESSION_KEY) throws SessionKeyError.
 */
export async function useMongoAuthState(
  store: WhatsAppWebStore,
  cipher: SessionCipher,
  connectionId: string,
): Promise<MongoAuthState> {
  const { BufferJSON, initAuthCreds, proto } = await loadBaileys();
  const encode = (id: string, value: unknown) => ({
    _id: id,
    connectionId,
    sealed: cipher.seal(JSON.stringify(value, BufferJSON.replacer), id),
    updatedAt: new Date(),
  });
  const decode = (doc: { _id: string; sealed: { iv: string; tag: string; data: string } }) =>
    JSON.parse(cipher.open(doc.sealed, doc._id), BufferJSON.reviver);

  const stored = await store.Auth.findById(credsId(connectionId)).lean();
  const creds: AuthenticationCreds = stored ? decode(stored) : initAuthCreds();

  return {
    state: {
      creds,
      keys: {
        async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
          const docs = await store.Auth.find({ _id: { $in: ids.map((id) => keyId(connectionId, type, id)) } }).lean();
          const byId = new Map(docs.map((doc) => [doc._id, doc]));
          const data: { [id: string]: SignalDataTypeMap[T] } = {};
          for (const id of ids) {
            const doc = byId.get(keyId(connectionId, type, id));
            if (!doc) continue;
            let value = decode(doc);
            if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value);
            data[id] = value;
          }
          return data;
        },
        async set(data) {
          const operations: unknown[] = [];
          for (const [type, values] of Object.entries(data)) {
            for (const [id, value] of Object.entries(values ?? {})) {
              const _id = keyId(connectionId, type, id);
              operations.push(
                value
                  ? { replaceOne: { filter: { _id }, replacement: encode(_id, value), upsert: true } }
                  : { deleteOne: { filter: { _id } } },
              );
            }
          }
          if (operations.length > 0) await store.Auth.collection.bulkWrite(operations as never[], { ordered: true });
        },
      },
    },
    async saveCreds() {
      const _id = credsId(connectionId);
      await store.Auth.collection.replaceOne({ _id } as never, encode(_id, creds) as never, { upsert: true });
    },
  };
}
