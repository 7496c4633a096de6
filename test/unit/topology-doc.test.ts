import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderTopology, TOPOLOGY_DOC } from '../../src/cli/print-topology';
import { disparoTopology, SUBSCRIPTIONS } from '../../src/topology';

test('docs/topology.md is the table of the topology the code declares (run `npm run docs:topology`)', () => {
  const expected = renderTopology(disparoTopology({ prefix: 'disparo', deliveryLimit: 20 }), SUBSCRIPTIONS);
  assert.equal(readFileSync(TOPOLOGY_DOC, 'utf8'), expected);
});
