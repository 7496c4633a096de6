import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagementApi } from '../../src/infrastructure/rabbitmq/management-api';

/** Broker URLs from the environment, falling back to the .infra.env written by scripts/provision.sh. */
export function brokerUrls(): { rabbitmqUrl: string; managementUrl: string } {
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
  if (!rabbitmqUrl || !managementUrl) {
    throw new Error('RABBITMQ_URL and RABBITMQ_MANAGEMENT_URL are needed (environment or .infra.env; see `npm run provision`)');
  }
  return { rabbitmqUrl, managementUrl };
}

export interface BenchVhost {
  name: string;
  /** AMQP URL of the vhost. */
  url: string;
  dispose(): Promise<void>;
}

/** A fresh vhost (created through the management API) for one measurement. */
export async function createBenchVhost(label: string): Promise<BenchVhost> {
  const { rabbitmqUrl, managementUrl } = brokerUrls();
  const management = new ManagementApi(managementUrl);
  const name = `bench-${label}-${randomUUID().slice(0, 8)}`;
  await management.createVhost(name);
  return {
    name,
    url: `${rabbitmqUrl.replace(/\/$/, '')}/${encodeURIComponent(name)}`,
    dispose: () => management.deleteVhost(name),
  };
}

/** Runs `body` in a fresh vhost and deletes the vhost afterwards, whatever happens. */
export async function withVhost<T>(label: string, body: (vhost: BenchVhost) => Promise<T>): Promise<T> {
  const vhost = await createBenchVhost(label);
  try {
    return await body(vhost);
  } finally {
    await vhost.dispose();
  }
}
