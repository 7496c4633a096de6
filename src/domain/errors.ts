/**
 * A failure that retrying cannot fix (the message contradicts stored state, a referenced record is
 * gone for good). Consumers throw it to send the message to its dead-letter queue at once; any
 * other error is treated as transient and retried with backoff.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}
