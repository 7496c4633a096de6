import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readingAhead } from '../../src/application/campaigns/reading-ahead';

/** A source that records when its reads start and whether it was released. */
function source(items: number[]) {
  const seen = { started: 0, released: false };
  async function* read() {
    try {
      for (const item of items) {
        seen.started++;
        await new Promise((resolve) => setTimeout(resolve, 1));
        yield item;
      }
    } finally {
      seen.released = true;
    }
  }
  return { seen, stream: read() };
}

describe('reading a stream ahead', () => {
  test('the first read starts at once, before anyone iterates; every item comes once, in order', async () => {
    const { seen, stream } = source([1, 2, 3]);
    const ahead = readingAhead(stream);
    assert.equal(seen.started, 1);
    const got: number[] = [];
    for await (const item of ahead) got.push(item);
    assert.deepEqual(got, [1, 2, 3]);
    await ahead.close();
    assert.equal(seen.released, true);
  });

  test('closed unread (the caller failed first), the source is released', async () => {
    const { seen, stream } = source([1, 2, 3]);
    const ahead = readingAhead(stream);
    await ahead.close();
    assert.equal(seen.released, true);
    assert.equal(seen.started, 1);
  });

  test('a loop that stops early releases the source', async () => {
    const { seen, stream } = source([1, 2, 3]);
    const ahead = readingAhead(stream);
    for await (const item of ahead) if (item === 1) break;
    assert.equal(seen.released, true);
    assert.equal(seen.started, 1);
  });

  test('a failed first read surfaces when it is read', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield* [];
      throw new Error('cursor failed');
    }
    const ahead = readingAhead(failing());
    await assert.rejects(async () => {
      for await (const _ of ahead);
    }, /cursor failed/);
  });
});
