/**
 * What a bulk contact write must do: sync and CSV import both describe the contacts they want
 * (`IncomingContact`), merged one per phone, each written as one upsert.
 */

/** The outcome of checking a contact's number. */
export interface ContactValidation {
  valid: boolean;
  onWhatsApp: boolean | null;
  rejectReason: string | null;
}

export interface IncomingContact {
  /** The key with the company: E.164 for a valid number, the phone as written for an invalid one. */
  phone: string;
  name?: string | null;
  /** Only fill a missing name (an address book's name never overwrites one given by the company). */
  nameOnlyIfMissing?: boolean;
  /** Merged key by key into the stored fields. */
  fields?: Record<string, string>;
  validation?: ContactValidation;
  /** Add the contact to this list. */
  listId?: string;
}

/** One entry per phone: a later entry wins for name and validation, fields are merged. */
export function mergeByPhone(incoming: IncomingContact[]): IncomingContact[] {
  const byPhone = new Map<string, IncomingContact>();
  for (const contact of incoming) {
    const earlier = byPhone.get(contact.phone);
    if (!earlier) {
      byPhone.set(contact.phone, contact);
      continue;
    }
    byPhone.set(contact.phone, {
      ...earlier,
      ...contact,
      name: contact.name ?? earlier.name,
      fields: earlier.fields || contact.fields ? { ...earlier.fields, ...contact.fields } : undefined,
      validation: contact.validation ?? earlier.validation,
      listId: contact.listId ?? earlier.listId,
    });
  }
  return [...byPhone.values()];
}

/**
 * The upsert of one contact, keyed by (companyId, phone) only — an equality on the unique index,
 * the one filter every MongoDB-wire server answers from the index. Values that equal the stored
 * ones do not modify the document, so a repeated import reports (and changes) nothing; `updatedAt`
 * is written on insert only for that reason. A sync records `checkedAt` at every check.
 */
export function contactUpsert(
  contact: IncomingContact,
  now: Date,
): { set: Record<string, unknown>; setOnInsert: Record<string, unknown>; addToSetList: string | null } {
  const set: Record<string, unknown> = {};
  const setOnInsert: Record<string, unknown> = { updatedAt: now };
  const hasName = contact.name !== undefined && contact.name !== null;
  if (hasName && !contact.nameOnlyIfMissing) set.name = contact.name;
  else setOnInsert.name = hasName ? contact.name : null;
  const fields = Object.entries(contact.fields ?? {});
  for (const [key, value] of fields) set[`fields.${key}`] = value;
  if (fields.length === 0) setOnInsert.fields = {};
  if (contact.validation) {
    set.valid = contact.validation.valid;
    set.onWhatsApp = contact.validation.onWhatsApp;
    set.rejectReason = contact.validation.rejectReason;
    // A check is recorded every time, so a sync "modifies" every contact it sees (its checkedAt).
    set.checkedAt = now;
  } else {
    Object.assign(setOnInsert, { valid: true, onWhatsApp: null, rejectReason: null, checkedAt: null });
  }
  if (!contact.listId) setOnInsert.listIds = [];
  return { set, setOnInsert, addToSetList: contact.listId ?? null };
}
