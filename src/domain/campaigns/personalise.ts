import { createHash } from 'node:crypto';

/** What a message template can refer to: `{name}`, `{phone}` and any custom field, `{city}` say. */
export interface ContactFields {
  name?: string | null;
  phone: string;
  fields?: Record<string, string | number | boolean | null | undefined>;
}

const PLACEHOLDER = /\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}/g;

/** Fills the placeholders; a field the contact lacks becomes empty (and doubled spaces collapse). */
export function renderTemplate(template: string, contact: ContactFields): string {
  const rendered = template.replace(PLACEHOLDER, (_, key: string) => {
    if (key === 'name') return contact.name ?? '';
    if (key === 'phone') return contact.phone;
    const value = contact.fields?.[key];
    return value === undefined || value === null ? '' : String(value);
  });
  return rendered
    .replace(/ {2,}/g, ' ')
    .replace(/ +([,.!?;:])/g, '$1')
    .trim();
}

/** Placeholders a template uses, for validating a campaign against its list's fields. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/**
 * Picks one of the variants "at random", reproducibly: the same campaign and contact always get the
 * same variant (a re-processed campaign sends what it would have sent), different contacts spread
 * evenly over the variants.
 */
export function chooseVariant(variants: readonly string[], campaignId: string, contactId: string): number {
  if (variants.length <= 1) return 0;
  const digest = createHash('sha256').update(`${campaignId}:${contactId}`).digest();
  return digest.readUInt32BE(0) % variants.length;
}

export function personalise(
  variants: readonly string[],
  campaignId: string,
  contact: ContactFields & { id: string },
): { variant: number; text: string } {
  const variant = chooseVariant(variants, campaignId, contact.id);
  return { variant, text: renderTemplate(variants[variant]!, contact) };
}
