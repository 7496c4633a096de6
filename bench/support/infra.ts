import { createTestVhost } from '../../test/support/infrastructure';

export interface BenchVhost {
  name: string;
  /** AMQP URL of the vhost. */
  url: string;
}

/** Runs `body` in a fresh vhost (management API) and deletes the vhost afterwards, whatever happens. */
export async function withVhost<T>(label: string, body: (vhost: BenchVhost) => Promise<T>): Promise<T> {
  const vhost = await createTestVhost(label, 'bench');
  try {
    return await body({ name: vhost.vhost, url: vhost.url });
  } finally {
    await vhost.dispose();
  }
}
