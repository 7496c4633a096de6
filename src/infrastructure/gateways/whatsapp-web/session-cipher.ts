import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The sealed form of one secret: AES-256-GCM, base64 fields. */
export interface SealedValue {
  iv: string;
  tag: string;
  data: string;
}

/** Anything wrong with WHATSAPP_SESSION_KEY: missing, malformed, or not the key the sessions were sealed with. */
export class SessionKeyError extends Error {
  override name = 'SessionKeyError';
}

/** Reads WHATSAPP_SESSION_KEY: 32 bytes as 64 hex digits or as base64. */
export function parseSessionKey(text: string | undefined): Buffer {
  if (!text) throw new SessionKeyError('WHATSAPP_SESSION_KEY is not set; it is required for whatsapp-web connections');
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  throw new SessionKeyError(
    'WHATSAPP_SESSION_KEY must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)',
  );
}

/**
 * Seals WhatsApp Web session secrets at rest. Each value is bound to its document id (GCM
 * additional data), so a sealed value copied onto another connection's document does not open.
 */
export class SessionCipher {
  constructor(private readonly key: Buffer) {}

  seal(plain: string, boundTo: string): SealedValue {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  open(sealed: SealedValue, boundTo: string): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SessionKeyError(
        `WHATSAPP_SESSION_KEY does not open the stored WhatsApp Web session (${boundTo.split('|')[0]}): wrong key, or the data was altered`,
      );
    }
  }
}
