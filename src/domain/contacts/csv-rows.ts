import { firstControlCharacter } from '../text/control-characters';
import type { IncomingContact } from './contact-changes';
import { normalisePhone } from './phone';

/**
 * The rules of a contact CSV: a header row with a `phone` column (and usually `name`); every other
 * column becomes a custom field, usable as a `{column}` placeholder in messages. Pure: the import
 * streams the file and hands each row here with its line number.
 */
export interface CsvHeader {
  phone: number;
  name: number | null;
  fields: Array<{ key: string; index: number }>;
  width: number;
}

export type RowOutcome = { ok: true; contact: IncomingContact } | { ok: false; line: number; reason: string };

export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MAX_FIELD_LENGTH = 1_000;

export function readHeader(cells: string[]): { ok: true; header: CsvHeader } | { ok: false; reason: string } {
  const names = cells.map((cell) => cell.trim());
  const lower = names.map((name) => name.toLowerCase());
  const phone = lower.indexOf('phone');
  if (phone < 0)
    return { ok: false, reason: `the header has no "phone" column (columns: ${names.join(', ') || 'none'})` };
  const seen = new Set<string>();
  for (const name of lower) {
    if (seen.has(name)) return { ok: false, reason: `the header names "${name}" twice` };
    seen.add(name);
  }
  const nameIndex = lower.indexOf('name');
  const fields: CsvHeader['fields'] = [];
  for (const [index, key] of names.entries()) {
    if (index === phone || index === nameIndex) continue;
    if (!FIELD_NAME.test(key))
      return {
        ok: false,
        reason: `column "${key}" is not a valid field name (letters, digits, _ . -; starting with a letter or _)`,
      };
    fields.push({ key, index });
  }
  return { ok: true, header: { phone, name: nameIndex < 0 ? null : nameIndex, fields, width: names.length } };
}

export function readRow(
  header: CsvHeader,
  cells: string[],
  line: number,
  defaultRegion: string,
  listId: string,
): RowOutcome {
  if (cells.length < header.width)
    return { ok: false, line, reason: `missing column(s): expected ${header.width}, found ${cells.length}` };
  if (cells.length > header.width)
    return { ok: false, line, reason: `too many columns: expected ${header.width}, found ${cells.length}` };
  const rawPhone = cells[header.phone]!;
  if (!rawPhone.trim()) return { ok: false, line, reason: 'missing phone' };
  const phone = normalisePhone(rawPhone, defaultRegion);
  if (!phone.valid) return { ok: false, line, reason: `bad phone "${rawPhone.slice(0, 40)}": ${phone.reason}` };
  const fields: Record<string, string> = {};
  for (const { key, index } of header.fields) {
    const value = cells[index]!.trim();
    if (value.length > MAX_FIELD_LENGTH)
      return { ok: false, line, reason: `column "${key}" is longer than ${MAX_FIELD_LENGTH} characters` };
    if (value) fields[key] = value;
  }
  const name = header.name === null ? undefined : cells[header.name]!.trim().slice(0, 200) || undefined;
  const control = name ? firstControlCharacter(name) : null;
  if (control) return { ok: false, line, reason: `name must not contain control characters (${control})` };
  return { ok: true, contact: { phone: phone.e164, name, fields, listId } };
}
