import { neutraliseFormula } from './spreadsheet-cell';

/** The columns of a campaign's per-contact report, in order. */
export const REPORT_COLUMNS = [
  'phone',
  'name',
  'variant',
  'status',
  'planned_at',
  'sent_at',
  'delivered_at',
  'read_at',
  'failure_reason',
] as const;

/** What the report reads of one shipping (and its contact's name). */
export interface ReportShipping {
  phone: string;
  name: string | null;
  /** 0-based index into the campaign's variants; shown 1-based, as people count them. */
  variant: number;
  status: string;
  plannedAt: Date | null;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  /** Why it failed for good or was cancelled (`lastError`). */
  lastError: string | null;
  /** Why the provider could not deliver a sent message (`failed` webhook). */
  failedReason: string | null;
}

const time = (at: Date | null) => (at ? at.toISOString() : '');

/** One report row: every cell text, neutralised against formula injection. */
export function reportRow(shipping: ReportShipping): string[] {
  const reason =
    shipping.status === 'sent'
      ? (shipping.failedReason ?? '')
      : shipping.status === 'queued'
        ? ''
        : (shipping.lastError ?? '');
  return [
    shipping.phone,
    shipping.name ?? '',
    String(shipping.variant + 1),
    shipping.status,
    time(shipping.plannedAt),
    time(shipping.sentAt),
    time(shipping.deliveredAt),
    time(shipping.readAt),
    reason,
  ].map(neutraliseFormula);
}
