import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs every webhook with the app secret: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
 * the raw body>`. The check must run on the bytes as received, before any JSON parsing.
 */
export function signWebhookBody(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of a signature header; anything missing or malformed is simply invalid. */
export function isValidWebhookSignature(
  rawBody: string | Buffer,
  header: string | undefined | null,
  appSecret: string,
): boolean {
  if (!header || !appSecret) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = Buffer.from(signWebhookBody(rawBody, appSecret).slice('sha256='.length), 'hex');
  const given = Buffer.from(match[1]!.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Constant-time comparison of two short secrets (the webhook verify token). */
export function sameSecretText(given: string | undefined | null, expected: string | undefined | null): boolean {
  if (!given || !expected) return false;
  const a = createHmac('sha256', 'compare').update(given).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
