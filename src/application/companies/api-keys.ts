import { createHash, randomBytes } from 'node:crypto';

/** Keys are stored as their SHA-256: a leaked database holds no usable key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new plain key: shown once to its owner, stored only as its hash. */
export function newApiKey(): string {
  return `dsp_${randomBytes(24).toString('base64url')}`;
}
