/**
 * Keeps secrets and personal data out of what leaves the process for an error tracker: access
 * tokens, API keys, app secrets, WhatsApp Web session material (key pairs, signal keys, sealed
 * values, QRs, pairing codes) and phone numbers. Values under a secret-sounding key are
 * replaced whole; inside free text (error messages), tokens are replaced and phone numbers keep
 * only their last four digits, enough to tell two contacts apart in an investigation.
 */

const SECRET_KEY =
  /token|secret|password|passwd|authorization|api[-_]?key|apikey|cookie|dsn|private|noisekey|identitykey|prekey|keydata|sealed|session[-_]?key|pairing[-_]?code|^qr$/i;

/** Disparo API keys, Meta access tokens, bearer credentials and basic-auth URLs. */
const SECRET_TEXT: Array<[RegExp, string]> = [
  [/\bdsp_[\w-]{8,}/g, 'dsp_[redacted]'],
  [/\bEAA[A-Za-z0-9_-]{10,}/g, '[redacted token]'],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]{8,}/gi, '$1 [redacted]'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@'],
];

/** 10–15 digits, optionally after "+", with spaces, dots, dashes or brackets (two at most) between them. */
const PHONE = /(?<![\w+])\+?\(?\d(?:[\s().-]{0,2}\d){9,14}(?![\w])/g;

export function redactText(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_TEXT) result = result.replace(pattern, replacement);
  return result.replace(PHONE, (match) => `[phone …${match.replace(/\D/g, '').slice(-4)}]`);
}

/** A deep copy of `value` with secrets removed; depth-limited so a cyclic object cannot hang it. */
export function redactValue<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 12) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1)) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    copy[key] =
      SECRET_KEY.test(key) && item !== null && item !== undefined && item !== ''
        ? '[redacted]'
        : redactValue(item, depth + 1);
  }
  return copy as T;
}
