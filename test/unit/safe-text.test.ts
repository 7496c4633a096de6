import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable } from '../../src/cli/terminal/progress-bar';
import { safeText } from '../../src/cli/terminal/safe-text';
import { escapeControlCharacters, firstControlCharacter } from '../../src/domain/text/control-characters';

test('control characters (C0, DEL, C1) are escaped visibly; everything else is kept', () => {
  assert.equal(escapeControlCharacters('a\u001b[2Jb\u0007\u007f\u009b\n'), 'a\\u001b[2Jb\\u0007\\u007f\\u009b\\u000a');
  assert.equal(escapeControlCharacters('São Paulo ✨ 😀 \u00a0'), 'São Paulo ✨ 😀 \u00a0');
  assert.equal(firstControlCharacter('ok'), null);
  assert.equal(firstControlCharacter('x\u0085'), 'U+0085');
});

test('printed text keeps its own line breaks; JSON stays valid JSON', () => {
  assert.equal(safeText('one\u001b\ntwo'), 'one\\u001b\ntwo');
  const json = safeText(JSON.stringify({ name: 'a\u001b\u009b\u007fb' }));
  assert.deepEqual(JSON.parse(json), { name: 'a\u001b\u009b\u007fb' });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  assert.doesNotMatch(json, /[\u0000-\u001f\u007f-\u009f]/);
});

test('a table cell cannot break the table or the terminal', () => {
  const table = renderTable(['NAME', 'STATE'], [['evil\nfake row\u001b[2J', 'idle']]);
  assert.equal(table.split('\n').length, 2);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  assert.doesNotMatch(table, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
});
