/**
 * What the provider reports about a message after accepting it. Statuses arrive by webhook, at
 * least once and in any order, so each shipping only ever moves up this ranking: a late `sent`
 * never overwrites `read`. `failed` (the provider could not deliver) ranks above `sent` only:
 * evidence that the message was delivered or read wins over it.
 */
export const DELIVERY_STATUSES = ['sent', 'failed', 'delivered', 'read'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DELIVERY_RANK: Record<DeliveryStatus, number> = { sent: 1, failed: 2, delivered: 3, read: 4 };

/** The campaign counters delivery reports move. */
export type DeliveryCounter = 'delivered' | 'read' | 'undelivered';

/**
 * The times a report of `status` records, each the earliest seen (reports arrive in any order):
 * `read` implies delivered, so it sets both.
 */
export function deliveryTimesOf(status: DeliveryStatus): Array<'deliveredAt' | 'readAt'> {
  if (status === 'read') return ['deliveredAt', 'readAt'];
  return status === 'delivered' ? ['deliveredAt'] : [];
}

/** Counter changes when a shipping moves from `from` (null: no status yet) to a higher `to`. */
export function counterChanges(from: DeliveryStatus | null, to: DeliveryStatus): Record<DeliveryCounter, number> {
  const before = from === null ? 0 : DELIVERY_RANK[from];
  const after = DELIVERY_RANK[to];
  const reached = (status: DeliveryStatus) =>
    before < DELIVERY_RANK[status] && after >= DELIVERY_RANK[status] ? 1 : 0;
  return {
    // `read` implies delivered, even when the `delivered` webhook never came (or comes later).
    delivered: reached('delivered'),
    read: reached('read'),
    undelivered: (to === 'failed' ? 1 : 0) - (from === 'failed' ? 1 : 0),
  };
}

export function isHigherStatus(from: DeliveryStatus | null, to: DeliveryStatus): boolean {
  return (from === null ? 0 : DELIVERY_RANK[from]) < DELIVERY_RANK[to];
}
