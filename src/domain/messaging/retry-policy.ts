/**
 * When a handler fails for a reason that may pass (broker or database away, provider 5xx), the
 * message comes back later through the delay levels. Exponential backoff with "equal jitter": half
 * the delay is fixed, half random, so retries of many messages spread out instead of stampeding.
 */
export interface RetryPolicy {
  /** Failed attempts allowed before the message is dead-lettered; 0 dead-letters on first failure. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** `failures` counts failed attempts so far, this one included (1 after the first failure). */
export function decideRetry(policy: RetryPolicy, failures: number, random: () => number = Math.random): RetryDecision {
  if (failures > policy.maxAttempts) return { retry: false };
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(failures - 1, 0));
  const delayMs = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return { retry: true, delayMs: Math.max(delayMs, 1) };
}
