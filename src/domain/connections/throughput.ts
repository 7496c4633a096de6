/**
 * A number's provider throughput: how many messages per second its provider accepts from it. The
 * WhatsApp Business Cloud API documents 80 per second per number by default and 1,000 after Meta's
 * automatic upgrade (error 130429 beyond it). The sandbox can simulate one; WhatsApp Web has none
 * (only the company's anti-ban pacing governs it).
 */

/** Meta's documented default for a Cloud API number. */
export const CLOUD_API_DEFAULT_THROUGHPUT_PER_SEC = 80;
/** The highest throughput a number may be given (Meta's upgraded tier). */
export const MAX_THROUGHPUT_PER_SEC = 1_000;

/** Gateways whose provider has a throughput to set. */
export function hasThroughput(gateway: string): boolean {
  return gateway === 'cloud-api' || gateway === 'sandbox';
}

/**
 * The throughput that applies to a number: the stored one, else its gateway's default (80 on the
 * Cloud API, none on the sandbox); never any on WhatsApp Web. Connections stored before the setting
 * existed read as their gateway's default.
 */
export function effectiveThroughput(gateway: string, stored: number | null | undefined): number | null {
  if (!hasThroughput(gateway)) return null;
  if (typeof stored === 'number') return stored;
  return gateway === 'cloud-api' ? CLOUD_API_DEFAULT_THROUGHPUT_PER_SEC : null;
}

/**
 * Why a throughput cannot be set on a number of this gateway (null: it can). `null` as a value
 * clears it back to the gateway's default.
 */
export function throughputProblem(gateway: string, value: number | null): string | null {
  if (value === null) return null;
  if (!hasThroughput(gateway)) return `is not allowed when gateway is ${gateway} (it has no provider throughput)`;
  if (!Number.isInteger(value) || value < 1 || value > MAX_THROUGHPUT_PER_SEC)
    return `must be an integer from 1 to ${MAX_THROUGHPUT_PER_SEC} (messages per second)`;
  return null;
}

/**
 * What to store after a change to a number of `gateway` (its gateway after the change): the value
 * given (null: back to the gateway's default), else the stored one; a number that has none and is
 * on the Cloud API gets Meta's default. WhatsApp Web stores none.
 */
export function throughputToStore(
  gateway: string,
  stored: number | null | undefined,
  given: number | null | undefined,
): number | null {
  if (!hasThroughput(gateway)) return null;
  const value = given === undefined ? (stored ?? null) : given;
  return value ?? (gateway === 'cloud-api' ? CLOUD_API_DEFAULT_THROUGHPUT_PER_SEC : null);
}
