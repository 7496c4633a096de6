import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LaneWindow, startAtPrecisely } from '../../src/application/shippings/lane-window';
import { preciseNow } from '../../src/infrastructure/gateways/sandbox/start-gap-judge';

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('a lane’s send window in the dispatcher', () => {
  test('one call at a time until a round trip is measured; then the window opens', () => {
    const window = new LaneWindow();
    assert.equal(window.roundTripMs, 0, 'no round trip known: the window rule gives 1');
    window.observeRoundTrip(150);
    assert.equal(window.roundTripMs, 150, 'the first answer sets it');
    window.observeRoundTrip(100);
    assert.ok(window.roundTripMs < 150 && window.roundTripMs > 100, 'then a moving average');
  });

  test('never more calls in flight than the window allows', async () => {
    const window = new LaneWindow();
    let inFlight = 0;
    let most = 0;
    for (let i = 0; i < 12; i++) {
      await window.freeSlot(3);
      inFlight++;
      most = Math.max(most, inFlight);
      window.track(later(5 + (i % 3) * 3).then(() => void inFlight--));
    }
    assert.ok(await window.drain(1_000));
    assert.equal(most, 3);
    assert.equal(window.size, 0);
  });

  test('a failed call leaves the window without an unhandled rejection', async () => {
    const window = new LaneWindow();
    window.track(Promise.reject(new Error('provider down')));
    assert.ok(await window.drain(100));
  });

  test('drain gives up after its timeout', async () => {
    const window = new LaneWindow();
    window.track(later(300));
    const started = Date.now();
    assert.equal(await window.drain(30), false);
    assert.ok(Date.now() - started < 250);
  });

  test('a start is never before its time on the sub-millisecond clock', async () => {
    for (const gap of [0.4, 1, 2.5, 12.5]) {
      const at = preciseNow() + gap;
      const started = await startAtPrecisely(at);
      assert.ok(started >= at, `${started} ≥ ${at}`);
      assert.ok(preciseNow() >= at);
    }
  });

  test('130429: the rate halves once for a window of refusals, then comes back', () => {
    const window = new LaneWindow();
    const t0 = 1_000_000;
    assert.equal(window.throughputAt(80, t0), 80);
    const lowered = window.rateLimited(80, t0 - 10, t0);
    assert.equal(lowered, 40);
    // Calls started before the drop answer 130429 too: no further drop.
    assert.equal(window.rateLimited(80, t0 - 5, t0 + 20), 40);
    assert.equal(window.throughputAt(80, t0 + 1_000), 40, 'held during the cool-down');
    assert.equal(window.throughputAt(80, t0 + 60_000), 80, 'back to the configured rate');
    assert.equal(window.throughputAt(null, t0), null, 'no throughput, no rate');
  });
});
