/**
 * Which inbound messages opt a contact out of a company's campaigns, or back in. A message is a
 * keyword when, trimmed, it equals one of the company's keywords ignoring case and accents
 * ("Sair", " sáir ", "SAIR" all match SAIR); anything else — "quero sair da lista", "stop!" — is an
 * ordinary message. Pure: the company's lists come in as arguments.
 */
export interface OptOutSettings {
  /** Answers that opt the contact out. */
  keywords: string[];
  /** Answers that undo an opt-out. */
  optInKeywords: string[];
}

export const DEFAULT_OPT_OUT: OptOutSettings = {
  keywords: ['SAIR', 'PARAR', 'CANCELAR', 'STOP', 'DESCADASTRAR'],
  optInKeywords: ['VOLTAR', 'START'],
};

/** Upper case, accents removed, surrounding white space trimmed and inner runs of it collapsed. */
export function normaliseKeyword(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').trim().replace(/\s+/g, ' ').toUpperCase();
}

export type InboundIntent =
  | { kind: 'opt-out'; keyword: string }
  | { kind: 'opt-in'; keyword: string }
  | { kind: 'none' };

export function intentOf(text: string, settings: OptOutSettings): InboundIntent {
  const said = normaliseKeyword(text);
  if (!said) return { kind: 'none' };
  const optOut = settings.keywords.find((keyword) => normaliseKeyword(keyword) === said);
  if (optOut !== undefined) return { kind: 'opt-out', keyword: normaliseKeyword(optOut) };
  const optIn = settings.optInKeywords.find((keyword) => normaliseKeyword(keyword) === said);
  if (optIn !== undefined) return { kind: 'opt-in', keyword: normaliseKeyword(optIn) };
  return { kind: 'none' };
}

/** A word in both lists would make a contact's answer mean two things: refused when settings change. */
export function overlappingKeywords(settings: OptOutSettings): string[] {
  const optIn = new Set(settings.optInKeywords.map(normaliseKeyword));
  return [...new Set(settings.keywords.map(normaliseKeyword))].filter((keyword) => optIn.has(keyword));
}
