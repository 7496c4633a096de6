import type { PipelineDeps } from '../pipeline-deps';
import { shippingsOf } from '../service-registry';
import type { DeliveryOutcome, DeliveryReport } from './shipping-service';

export type StatusReport = DeliveryReport;
export type StatusOutcome = DeliveryOutcome;

/** Applies a status webhook to the shipping with that provider message id on that connection (ShippingService.recordDelivery). */
export function applyDeliveryStatus(
  deps: PipelineDeps,
  connectionId: string,
  report: StatusReport,
): Promise<StatusOutcome> {
  return shippingsOf(deps).recordDelivery(connectionId, report);
}
