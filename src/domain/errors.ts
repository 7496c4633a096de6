/**
 * A failure that retrying cannot fix (the message contradicts stored state, a referenced record is
 * gone for good). Consumers throw it to send the message to its dead-letter queue at once; any
 * other error is treated as transient and retried with backoff.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/** What went wrong, as the caller can act on it; the API maps each code to one HTTP status. */
export type AppErrorCode = 'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict';

export interface FieldError {
  /** Where the value came from (`body.connectionId`, `query.status`, …). */
  field: string;
  message: string;
}

/**
 * The one error type use cases throw for an expected refusal: a code, a message a person can read
 * (answered as the problem's detail), the fields at fault and, optionally, what to do about it.
 * Entry points translate it in one place: the API to problem+json, the CLI to one line and exit 1;
 * a consumer acks a conflict or not-found it gets on a redelivery (the change already happened).
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: AppErrorCode;
  readonly fields?: FieldError[];
  readonly help?: string;

  constructor(
    code: AppErrorCode,
    message: string,
    options: { fields?: FieldError[]; help?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.fields) this.fields = options.fields;
    if (options.help) this.help = options.help;
  }

  static notFound(what: string, options?: { cause?: unknown }): AppError {
    return new AppError('not-found', `no such ${what}`, options);
  }

  static conflict(message: string, options?: { help?: string; cause?: unknown }): AppError {
    return new AppError('conflict', message, options);
  }

  static invalid(message: string, fields?: FieldError[]): AppError {
    return new AppError('invalid', message, fields ? { fields } : {});
  }
}

export function isAppError(error: unknown, code?: AppErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
