import type { GatewayContact } from '../whatsapp/gateway';
import type { IncomingContact } from './contact-changes';
import { normalisePhone } from './phone';

export const NOT_ON_WHATSAPP = 'not on WhatsApp';

export interface PlannedSyncPage {
  /** Valid numbers (E.164, one entry per number) to check on WhatsApp. */
  numbers: Array<{ phone: string; name?: string }>;
  /** Numbers that do not parse: stored as written, marked invalid with the reason. */
  invalid: Array<{ phone: string; name?: string; reason: string }>;
}

/** Normalises one page of a provider's address book with the company's region. */
export function planSyncPage(contacts: GatewayContact[], defaultRegion: string): PlannedSyncPage {
  const numbers = new Map<string, { phone: string; name?: string }>();
  const invalid = new Map<string, { phone: string; name?: string; reason: string }>();
  for (const contact of contacts) {
    const checked = normalisePhone(contact.phone, defaultRegion);
    const name = contact.name?.trim() || undefined;
    if (checked.valid) {
      const earlier = numbers.get(checked.e164);
      numbers.set(checked.e164, { phone: checked.e164, name: name ?? earlier?.name });
      continue;
    }
    const written = contact.phone.trim().slice(0, 64);
    if (written) invalid.set(written, { phone: written, name, reason: checked.reason });
  }
  return { numbers: [...numbers.values()], invalid: [...invalid.values()] };
}

/** The page's contacts as they must be stored, once the provider said which numbers are on WhatsApp. */
export function syncedContacts(page: PlannedSyncPage, onWhatsApp: Map<string, boolean>): IncomingContact[] {
  const checked = page.numbers.map((contact): IncomingContact => {
    const answer = onWhatsApp.get(contact.phone);
    const on = answer === undefined ? null : answer;
    return {
      phone: contact.phone,
      name: contact.name,
      nameOnlyIfMissing: true,
      validation: { valid: true, onWhatsApp: on, rejectReason: on === false ? NOT_ON_WHATSAPP : null },
    };
  });
  const rejected = page.invalid.map(
    (contact): IncomingContact => ({
      phone: contact.phone,
      name: contact.name,
      nameOnlyIfMissing: true,
      validation: { valid: false, onWhatsApp: null, rejectReason: contact.reason },
    }),
  );
  return [...checked, ...rejected];
}
