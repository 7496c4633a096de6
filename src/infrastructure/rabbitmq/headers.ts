/** Headers Disparo sets on messages it retries or dead-letters; visible in the management console. */
export const HEADERS = {
  attempt: 'x-disparo-failures',
  lastError: 'x-disparo-last-error',
  deadReason: 'x-disparo-dead-reason',
  deadAt: 'x-disparo-dead-at',
  deadConsumer: 'x-disparo-consumer',
  deadQueue: 'x-disparo-queue',
} as const;

export function readCount(headers: Record<string, unknown> | undefined, name: string): number {
  const value = headers?.[name];
  const count = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/** Header values are bounded so a huge error text cannot make the dead letter itself too large. */
export function clip(text: string, max = 1_000): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
