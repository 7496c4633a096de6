import { ManagementApi } from '../../src/infrastructure/rabbitmq/management-api';
import { infraUrls } from './infrastructure';

/** A vhost younger than this may belong to a run going on beside this one (the longest file takes ~5 min). */
const LEFTOVER_AFTER_MS = 30 * 60_000;

/** When a test or bench vhost was created (its name carries it), or undefined for an older name without it. */
function createdAtOf(vhost: string): number | undefined {
  const match = /-t([0-9a-z]+)-[0-9a-f]{8}$/.exec(vhost);
  return match ? Number.parseInt(match[1]!, 36) : undefined;
}

/**
 * Deletes vhosts that interrupted test or benchmark runs left behind (each holds some 40 quorum
 * queues the broker must recover at every start): those older than LEFTOVER_AFTER_MS, and those
 * named before names carried their creation time. Run by scripts/test.sh before the tests.
 */
async function main(): Promise<void> {
  const management = new ManagementApi(infraUrls().managementUrl);
  const vhosts = await management.request<Array<{ name: string }>>('GET', '/vhosts');
  const now = Date.now();
  const leftovers = vhosts.filter((vhost) => {
    if (!/^(test|bench)-/.test(vhost.name)) return false;
    const createdAt = createdAtOf(vhost.name);
    return createdAt === undefined || now - createdAt > LEFTOVER_AFTER_MS;
  });
  for (const vhost of leftovers) await management.deleteVhost(vhost.name);
  if (leftovers.length > 0) console.error(`[test] deleted ${leftovers.length} vhosts left by earlier runs`);
}

main().catch((error: unknown) => {
  console.error(`[test] could not clean up old vhosts: ${String(error)}`);
});
