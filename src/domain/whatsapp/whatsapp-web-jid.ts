/** WhatsApp Web addresses people by JID: `<digits>@s.whatsapp.net` (a phone), or `<id>@lid` (hidden). */
const PHONE_JID = /^(\d{6,15})(?::\d+)?@s\.whatsapp\.net$/;

/** The E.164 phone of a person's JID, or null for groups, broadcasts and hidden (LID) ids. */
export function phoneOfJid(jid: string | null | undefined): string | null {
  const match = jid ? PHONE_JID.exec(jid) : null;
  return match ? `+${match[1]}` : null;
}

/** The JID WhatsApp Web sends to for an E.164 phone. */
export function jidOfPhone(e164: string): string {
  return `${e164.replace(/^\+/, '')}@s.whatsapp.net`;
}

/** A contact as WhatsApp Web delivers it (Baileys' Contact): id in JID or LID form, maybe both. */
export interface WebContactLike {
  id?: string | null;
  phoneNumber?: string | null;
  name?: string | null;
  notify?: string | null;
  verifiedName?: string | null;
}

/** The phone and name of a delivered contact; null when it names no phone (a group, a hidden id). */
export function contactOfWeb(contact: WebContactLike): { phone: string; name: string | null } | null {
  const phone = phoneOfJid(contact.phoneNumber) ?? phoneOfJid(contact.id);
  if (!phone) return null;
  return { phone, name: contact.name || contact.notify || contact.verifiedName || null };
}
