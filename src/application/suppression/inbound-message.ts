import { type Cause, newCorrelation } from '../../domain/events/envelope';
import type { PipelineDeps } from '../pipeline-deps';
import { suppressionsOf } from '../service-registry';
import type { InboundMessage, InboundOutcome } from './suppression-service';

export type { InboundMessage, InboundOutcome } from './suppression-service';

/**
 * The one entry point for inbound messages, whatever gateway received them (the Cloud API webhook,
 * the sandbox, WhatsApp Web): an answer that is one of the company's opt-out keywords puts the
 * sender on the suppression list (its unsent messages are cancelled), an opt-in keyword undoes its
 * own opt-out, anything else is an ordinary message and changes nothing (SuppressionService.receive).
 */
export function receiveInboundMessage(
  deps: PipelineDeps,
  message: InboundMessage,
  cause: Cause = newCorrelation(message.companyId),
): Promise<InboundOutcome> {
  return suppressionsOf(deps).receive(message, cause);
}
