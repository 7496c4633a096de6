/**
 * A shipping's life (one message to one contact of one campaign):
 *
 *   queued ──claim──► sending ──markSent──► sent
 *     ▲  │               │  └──markFailed──► failed
 *     │  │               └──release (a send to try again later) / requeue (reconciler) ──► queued
 *     │  └──park (campaign paused)──► paused ──replan (campaign resumed)──► queued
 *     └──requeue (reconciler: its lane message was lost)
 *   queued / paused ──cancel (campaign cancelled, contact deleted)──► cancelled
 *   sending ──withdraw (its phone opted out before the provider was called)──► cancelled
 *   queued / paused ──reassign (its number halted; the campaign has others)──► queued, on another number
 *
 * Every change is a compare-and-set from the statuses listed here, so two workers (a lane and the
 * reconciler, a redelivered message) never both apply it: at most one send, each counted once.
 * `reclaim` takes a shipping a crash left in `sending` again, only on a provider that deduplicates
 * by the idempotency key (the lane decides; see claimableStatuses).
 */
export const SHIPPING_STATUSES = ['queued', 'sending', 'sent', 'failed', 'paused', 'cancelled'] as const;
export type ShippingStatus = (typeof SHIPPING_STATUSES)[number];

export type ShippingCommand =
  | 'claim'
  | 'reclaim'
  | 'markSent'
  | 'markFailed'
  | 'release'
  | 'requeue'
  | 'park'
  | 'replan'
  | 'cancel'
  | 'withdraw'
  | 'reassign';

interface Transition {
  from: readonly ShippingStatus[];
  to: ShippingStatus;
}

export const SHIPPING_TRANSITIONS: Readonly<Record<ShippingCommand, Transition>> = {
  claim: { from: ['queued'], to: 'sending' },
  reclaim: { from: ['sending'], to: 'sending' },
  markSent: { from: ['sending'], to: 'sent' },
  markFailed: { from: ['sending'], to: 'failed' },
  release: { from: ['sending'], to: 'queued' },
  requeue: { from: ['queued', 'sending'], to: 'queued' },
  park: { from: ['queued'], to: 'paused' },
  replan: { from: ['paused'], to: 'queued' },
  cancel: { from: ['queued', 'paused'], to: 'cancelled' },
  withdraw: { from: ['sending'], to: 'cancelled' },
  reassign: { from: ['queued', 'paused'], to: 'queued' },
};

/** The statuses a command applies from: the filter of its compare-and-set. */
export function shippingStatusesAllowing(command: ShippingCommand): ShippingStatus[] {
  return [...SHIPPING_TRANSITIONS[command].from];
}

export function shippingTarget(command: ShippingCommand): ShippingStatus {
  return SHIPPING_TRANSITIONS[command].to;
}

export function canApplyToShipping(command: ShippingCommand, status: ShippingStatus): boolean {
  return SHIPPING_TRANSITIONS[command].from.includes(status);
}

/** Sendable by the lane: queued, or left in `sending` by a crash when the provider deduplicates the key. */
export function claimableStatuses(providerDeduplicates: boolean): ShippingStatus[] {
  return providerDeduplicates
    ? [...SHIPPING_TRANSITIONS.claim.from, ...SHIPPING_TRANSITIONS.reclaim.from]
    : shippingStatusesAllowing('claim');
}

/** Sent, failed or cancelled: nothing changes it any more (delivery reports only annotate a sent one). */
export function isShippingFinished(status: ShippingStatus): boolean {
  return status === 'sent' || status === 'failed' || status === 'cancelled';
}

/** Every status but the finished ones: while one of its shippings is in one, a campaign is not done. */
export const NOT_FINISHED: readonly ShippingStatus[] = SHIPPING_STATUSES.filter(
  (status) => !isShippingFinished(status),
);

/** Not yet sent and not in flight: what a cancellation (campaign or contact) may still stop. */
export const NOT_YET_SENT: readonly ShippingStatus[] = SHIPPING_TRANSITIONS.cancel.from;
