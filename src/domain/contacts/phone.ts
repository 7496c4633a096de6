import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneCheck = { valid: true; e164: string } | { valid: false; reason: string };

/**
 * Normalises a phone as written by a person or an address book ("(11) 99999-0000", "+55 11…",
 * "0055…") to E.164, with the company's region for numbers written without a country code.
 * libphonenumber's full metadata ("max") also rejects numbers that are well-formed but unassigned.
 */
export function normalisePhone(raw: string, defaultRegion: string): PhoneCheck {
  const trimmed = raw.trim();
  if (!trimmed) return { valid: false, reason: 'empty phone' };
  if (/[a-z]/i.test(trimmed.replace(/\s*(ext\.?|x)\s*\d+$/i, '')))
    return { valid: false, reason: 'phone contains letters' };
  const international = trimmed.replace(/^00(?=[1-9])/, '+');
  const parsed = parsePhoneNumberFromString(international, defaultRegion.toUpperCase() as CountryCode);
  if (!parsed) return { valid: false, reason: 'not a phone number' };
  if (!parsed.isValid()) return { valid: false, reason: `not a valid ${parsed.country ?? defaultRegion} number` };
  return { valid: true, e164: parsed.number };
}
