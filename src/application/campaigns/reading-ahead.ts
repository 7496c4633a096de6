/** An async stream whose first item is already being read, and which can be closed unread. */
export interface ReadingAhead<T> extends AsyncIterable<T> {
  /** Releases the source (its cursor) if it was not read to the end; harmless after. */
  close(): Promise<void>;
}

/**
 * Starts reading `source` now, so its first page (a database round trip) arrives while the caller
 * does other work (fixing a campaign's plan before streaming its audience). Iterate it once; call
 * `close` in a `finally`, so a caller that fails before reading it does not leave a cursor open.
 */
export function readingAhead<T>(source: AsyncIterable<T>): ReadingAhead<T> {
  const iterator = source[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<T>> | null = iterator.next();
  // A failed first read surfaces when it is read; unread (the caller failed first), it is dropped.
  first.catch(() => undefined);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    first = null;
    await iterator.return?.();
  };
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (first) {
          const read = first;
          first = null;
          return read;
        }
        return iterator.next();
      },
      return: async () => {
        await close();
        return { done: true, value: undefined };
      },
    }),
    close,
  };
}
