import { createHash, randomBytes } from 'node:crypto';
import type { Models } from '../infrastructure/mongo/models';
import type { ApiKeyDoc } from '../infrastructure/mongo/models/api-key';

/** Keys are stored as their SHA-256: a leaked database holds no usable key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new plain key: shown once to its owner, stored only as its hash. */
export function newApiKey(): string {
  return `dsp_${randomBytes(24).toString('base64url')}`;
}

/** Creates a key for a company: the stored record, and the plain key to show this once. */
export async function issueApiKey(
  models: Pick<Models, 'ApiKey'>,
  companyId: string,
  label: string,
): Promise<{ record: ApiKeyDoc; apiKey: string }> {
  const apiKey = newApiKey();
  const created = await models.ApiKey.create({
    _id: hashApiKey(apiKey),
    companyId,
    label,
    preview: apiKey.slice(0, 8),
  });
  return { record: created.toObject(), apiKey };
}
