import type { Cause } from '../../domain/events/envelope';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import { completeIfDone } from '../campaigns/campaign-completion';
import type { PipelineDeps } from '../pipeline-deps';
import { shippingsOf, suppressionsOf } from '../service-registry';

/**
 * Dispatch asks this right after claiming a shipping (queued → sending), before the gateway is
 * called. Opting out stores the suppression first and then cancels what is still queued, so:
 * a shipping claimed before the suppression was stored may go (it was already being sent); one
 * claimed after finds it here and is withdrawn instead. Checking after the claim, not before,
 * leaves no gap between the check and the send in which an opt-out could slip by.
 * Returns true when the shipping was withdrawn (dispatch then stops).
 */
export async function cancelIfSuppressed(
  deps: PipelineDeps,
  shipping: Pick<ShippingDoc, '_id' | 'companyId' | 'campaignId' | 'phone'>,
  cause: Cause,
): Promise<boolean> {
  if (!(await suppressionsOf(deps).isSuppressed(shipping.companyId, shipping.phone))) return false;
  if (await shippingsOf(deps).withdraw(shipping, 'opted out'))
    deps.logger.info('suppressed phone: shipping cancelled at dispatch', { shippingId: String(shipping._id) });
  await completeIfDone(deps, String(shipping.campaignId), cause);
  return true;
}
