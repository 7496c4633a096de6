import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';

const root = join(__dirname, '..', '..');

function sourcesUnder(path: string): string[] {
  const full = join(root, path);
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((name) => sourcesUnder(relative(root, join(full, name))));
}

/**
 * Entry points parse, call the application and answer: the API, the consumers, the CLI commands
 * and the demo never reach a mongoose model (not by import, not through `deps.models`), and
 * import nothing of src/infrastructure/mongo but types. (dependency-cruiser checks imports of
 * routes and consumers; this also catches models carried in by the pipeline's dependencies.)
 */
const ENTRY_POINTS = [
  'src/api',
  'consumers',
  'src/cli/commands',
  'src/cli/event-commands.ts',
  'src/runtime/demo.ts',
].flatMap(sourcesUnder);

/**
 * The runtime wires roles together: it hands services, ports and gateway providers around, not
 * models. Only the composition root reads them (pipeline.ts: it builds the models, the gateway
 * provider, the dispatch membership and the WhatsApp Web store); the lane supervisor and the
 * WhatsApp Web host read connections through ReadService. (demo.ts is an entry point, checked below.)
 */
const RUNTIME_COMPOSITION_ROOT = ['pipeline.ts', 'demo.ts'];
const RUNTIME = sourcesUnder('src/runtime').filter(
  (file) => !RUNTIME_COMPOSITION_ROOT.some((name) => file.endsWith(`/${name}`)),
);

/**
 * The application modules whose state changes moved behind services and ports: they call a service
 * (service-registry.ts) and reach no model, so a write cannot slip back in beside the service.
 */
const MOVED_TO_SERVICES = [
  'src/application/contacts/contact-sync.ts',
  'src/application/contacts/contact-sync-service.ts',
  'src/application/contacts/contact-service.ts',
  'src/application/contacts/address-book-service.ts',
  'src/application/suppression',
  'src/application/connections/whatsapp-web-pairing.ts',
  'src/application/connections/whatsapp-web-session-events.ts',
  'src/application/shippings/cap-reservations.ts',
  'src/application/shippings/lane-pacing.ts',
].flatMap(sourcesUnder);

const modelUsesIn = (source: string) => source.split('\n').filter((line) => /\.models\b|\bmodels\.[A-Z]/.test(line));

describe('the runtime hands services around, not models', () => {
  test('there are runtime files to check', () => {
    assert.ok(RUNTIME.length >= 5, RUNTIME.join(', '));
  });

  for (const file of RUNTIME) {
    test(file, () => {
      assert.deepEqual(modelUsesIn(readFileSync(join(root, file), 'utf8')), [], 'models handed around in the runtime');
    });
  }
});

describe('moved state changes stay with their services', () => {
  test('the lane owners are checked with the runtime', () => {
    for (const name of ['lane-supervisor.ts', 'whatsapp-web-host.ts'])
      assert.ok(
        RUNTIME.some((file) => file.endsWith(`/${name}`)),
        name,
      );
  });

  for (const file of MOVED_TO_SERVICES) {
    test(file, () => {
      const source = readFileSync(join(root, file), 'utf8');
      assert.deepEqual(modelUsesIn(source), [], 'a model reached beside the service');
      const mongoValues = [
        ...source.matchAll(/^import\s+(?!type\s)\{?([^;]*?)\}?\s+from\s+'[^']*infrastructure\/mongo\/[^']*';/gms),
      ].map(([statement]) => statement);
      assert.deepEqual(
        mongoValues,
        [],
        'MongoDB code imported beside the service (adapters go in src/infrastructure/mongo)',
      );
    });
  }
});

describe('entry points do not touch MongoDB', () => {
  test('there are entry points to check', () => {
    assert.ok(ENTRY_POINTS.length > 20, ENTRY_POINTS.join(', '));
  });

  for (const file of ENTRY_POINTS) {
    test(file, () => {
      const source = readFileSync(join(root, file), 'utf8');
      assert.deepEqual(modelUsesIn(source), [], 'models reached directly: go through a service in src/application');
      // Types (the stored shapes presenters map) and constant lists (enums of a schema) may come in.
      const mongoImports = [
        ...source.matchAll(/^import\s+(?!type\s)\{?([^;]*?)\}?\s+from\s+'[^']*infrastructure\/mongo\/[^']*';/gms),
      ]
        .filter(([, names]) =>
          names!
            .split(',')
            .map((name) => name.trim())
            .some((name) => name !== '' && !name.startsWith('type ') && !/^[A-Z][A-Z0-9_]*$/.test(name)),
        )
        .map(([statement]) => statement);
      assert.deepEqual(mongoImports, [], 'a value imported from src/infrastructure/mongo');
    });
  }
});
