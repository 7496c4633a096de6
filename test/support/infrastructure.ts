import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagementApi } from '../../src/infrastructure/rabbitmq/management-api';

/**
 * The real broker and database the tests use, as provisioned by scripts/provision.sh (which
 * writes .infra.env) or given in the environment. Each test gets its own vhost and database.
 */
export interface InfraUrls {
  rabbitmqUrl: string;
  managementUrl: string;
  mongoUrl: string;
}

export function infraUrls(): InfraUrls {
  const file = join(__dirname, '..', '..', '.infra.env');
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match?.[1] && match[2]) fromFile[match[1]] = match[2];
    }
  }
  const pick = (name: string) => process.env[name] || fromFile[name];
  const rabbitmqUrl = pick('RABBITMQ_URL');
  const managementUrl = pick('RABBITMQ_MANAGEMENT_URL');
  const mongoUrl = pick('MONGO_URL');
  if (!rabbitmqUrl || !managementUrl || !mongoUrl) {
    throw new Error(
      'RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and MONGO_URL are needed: run `npm test` (it provisions them)',
    );
  }
  return { rabbitmqUrl, managementUrl, mongoUrl };
}

export function uniqueName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/**
 * A fresh vhost named `<kind>-<label>-t<created, base 36 ms>-<random>`; `url` connects to it.
 * Benchmarks use it too. The creation time lets the clean-up before a run remove only vhosts old
 * enough to be leftovers, not those of a run going on beside it.
 */
export async function createTestVhost(
  label: string,
  kind: 'test' | 'bench' = 'test',
): Promise<{ vhost: string; url: string; management: ManagementApi; dispose(): Promise<void> }> {
  const { rabbitmqUrl, managementUrl } = infraUrls();
  const management = new ManagementApi(managementUrl);
  const vhost = uniqueName(`${kind}-${label}-t${Date.now().toString(36)}`);
  await management.createVhost(vhost);
  const url = `${rabbitmqUrl.replace(/\/$/, '')}/${encodeURIComponent(vhost)}`;
  return { vhost, url, management, dispose: () => management.deleteVhost(vhost) };
}

/** A fresh database name on the MongoDB-wire server. */
export function testMongoUrl(label: string): string {
  const url = new URL(infraUrls().mongoUrl);
  url.pathname = `/${uniqueName(`t_${label}`).replace(/-/g, '_')}`;
  return url.toString();
}
