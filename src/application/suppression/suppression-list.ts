import type { Readable } from 'node:stream';
import type { Cause } from '../../domain/events/envelope';
import type { PipelineDeps } from '../pipeline-deps';
import { suppressionsOf } from '../service-registry';
import type { SuppressionImportReport } from './suppression-import';
import type { Lift, Suppress } from './suppression-service';

export type { Lift, Suppress } from './suppression-service';

/**
 * Puts a phone on the company's suppression list and cancels its contact's unsent messages;
 * ContactOptedOut (SuppressionService.suppress). A phone suppressed already changes nothing.
 */
export function suppressPhone(
  deps: PipelineDeps,
  cause: Cause,
  input: Suppress,
): Promise<{ changed: boolean; cancelledShippings: number }> {
  return suppressionsOf(deps).suppress(cause, input);
}

/** Takes a phone off the list; ContactOptedIn (SuppressionService.lift). False when there was nothing to lift. */
export function liftSuppression(deps: PipelineDeps, cause: Cause, input: Lift): Promise<boolean> {
  return suppressionsOf(deps).lift(cause, input);
}

/** Imports a CSV of phones into the company's suppression list (SuppressionService.importCsv). */
export function importSuppressions(
  deps: PipelineDeps,
  company: { companyId: string; defaultRegion: string },
  input: Readable,
): Promise<SuppressionImportReport> {
  return suppressionsOf(deps).importCsv(company, input);
}
