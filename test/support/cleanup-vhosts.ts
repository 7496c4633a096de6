import { ManagementApi } from '../../src/infrastructure/rabbitmq/management-api';
import { infraUrls } from './infrastructure';

/**
 * Deletes vhosts that interrupted test or benchmark runs left behind (each holds some 40 quorum
 * queues the broker must recover at every start). Run by scripts/test.sh before the tests.
 */
async function main(): Promise<void> {
  const management = new ManagementApi(infraUrls().managementUrl);
  const vhosts = await management.request<Array<{ name: string }>>('GET', '/vhosts');
  const leftovers = vhosts.filter((vhost) => /^(test|bench)-/.test(vhost.name));
  for (const vhost of leftovers) await management.deleteVhost(vhost.name);
  if (leftovers.length > 0) console.error(`[test] deleted ${leftovers.length} vhosts left by earlier runs`);
}

main().catch((error: unknown) => {
  console.error(`[test] could not clean up old vhosts: ${String(error)}`);
});
