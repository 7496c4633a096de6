import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { autoPauseReason, countsAsFailure, withOutcome } from '../../src/domain/campaigns/failure-threshold';
import { DEFAULT_OPT_OUT, intentOf, overlappingKeywords } from '../../src/domain/suppression/opt-out-keywords';

describe('opt-out keywords', () => {
  test('the whole message, trimmed, ignoring case and accents', () => {
    for (const text of ['SAIR', ' sair ', 'Sáir', 'PARAR\n', 'descadastrar', 'stop', 'Cancelar'])
      assert.equal(intentOf(text, DEFAULT_OPT_OUT).kind, 'opt-out', JSON.stringify(text));
    assert.deepEqual(intentOf(' sáir ', DEFAULT_OPT_OUT), { kind: 'opt-out', keyword: 'SAIR' });
    assert.deepEqual(intentOf('Voltar', DEFAULT_OPT_OUT), { kind: 'opt-in', keyword: 'VOLTAR' });
    for (const text of ['quero sair', 'stop!', 'sair sair', '', '   ', 'PARE', 'start now'])
      assert.equal(intentOf(text, DEFAULT_OPT_OUT).kind, 'none', JSON.stringify(text));
  });

  test('custom lists, and a word in both is found', () => {
    const custom = { keywords: ['Não quero mais'], optInKeywords: ['quero de novo'] };
    assert.equal(intentOf('nao  QUERO mais', custom).kind, 'opt-out');
    assert.equal(intentOf('SAIR', custom).kind, 'none');
    assert.deepEqual(overlappingKeywords({ keywords: ['SAIR', 'stop'], optInKeywords: ['Stóp'] }), ['STOP']);
  });
});

describe('automatic pause threshold', () => {
  const settings = { enabled: true, failureRate: 0.2, window: 10, consecutive: 4 };
  const run = (outcomes: boolean[]) =>
    outcomes.reduce((state, failed) => withOutcome(state, failed, settings.window), {
      recent: [] as number[],
      consecutiveFailures: 0,
    });

  test('a share of the last window, once the window is full', () => {
    assert.equal(autoPauseReason(run([true, false, true]), settings), null, 'window not full yet');
    const twoOfTen = run([true, false, false, false, true, false, false, false, false, false]);
    assert.match(autoPauseReason(twoOfTen, settings)!, /2 of the last 10 sends failed/);
    const oneOfTen = run([true, true, ...Array(10).fill(false), true]);
    assert.equal(autoPauseReason(oneOfTen, settings), null, 'old failures slid out of the window');
  });

  test('or failures in a row; disabled never pauses; throttles and halts do not count', () => {
    assert.match(autoPauseReason(run([false, true, true, true, true]), settings)!, /4 sends failed in a row/);
    assert.equal(autoPauseReason(run([true, true, true, true]), { ...settings, enabled: false }), null);
    assert.equal(countsAsFailure('lane-backoff'), false);
    assert.equal(countsAsFailure('halt-connection'), false);
    assert.equal(countsAsFailure('retry'), true);
    assert.equal(countsAsFailure('permanent'), true);
  });
});
