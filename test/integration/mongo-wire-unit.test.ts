import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { mongoWireHome } from '../support/dedicated-mongo';

/**
 * The Java unit test of the embedded wire server's wrapper (scripts/mongo-wire/test/MongoWireTest.java,
 * compiled by provision.sh beside the server): secondary, compound, multikey and unique indexes give
 * the same answers as a scan through inserts, updates, deletes and a restart; dropping a database
 * deletes its file; claims and $inc stay atomic under 8 racing threads.
 */
test('embedded wire server wrapper: Java unit test', { timeout: 300_000 }, () => {
  const home = mongoWireHome();
  const run = spawnSync('java', ['-Xmx256m', '-cp', `${home}/classes:${home}/lib/*`, 'MongoWireTest'], {
    encoding: 'utf8',
    timeout: 290_000,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, output.slice(-4000));
  assert.match(run.stdout, /MongoWireTest: \d+ checks passed/);
});
