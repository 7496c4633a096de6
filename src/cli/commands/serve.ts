import { loadConfig, workerRoles } from '../../config';
import { startApi } from '../../runtime/api-process';
import { runDemo } from '../../runtime/demo';
import { startMetricsServer } from '../../runtime/metrics-server';
import { pipelineDeps } from '../../runtime/pipeline';
import { startServices } from '../../runtime/services';
import { onShutdownSignal } from '../../runtime/shutdown';
import { KNOWN_ROLES, startWorker, type WorkerRole } from '../../runtime/worker';
import type { CliCommand } from '../cli-errors';
import { UsageError } from '../cli-errors';

type ServerKind = 'api' | 'worker' | 'start';

const USAGES: Record<ServerKind, string> = {
  api: `Usage: disparo api

  Runs the HTTP API (HTTP_HOST:HTTP_PORT) until SIGINT or SIGTERM, then stops gracefully.`,
  worker: `Usage: disparo worker

  Runs the worker roles named in WORKER_ROLES (comma-separated, or all; default all) until SIGINT
  or SIGTERM. Roles: ${KNOWN_ROLES.join(', ')}. Serves /metrics and /healthz on METRICS_PORT.`,
  start: `Usage: disparo start

  Runs the API and every worker role in one process. With DEMO=true (npm start sets it) it also
  seeds a demo company and campaign on the sandbox and prints where to look.`,
};

/**
 * The long-running processes. They never resolve: a signal stops them gracefully (exit 0), a
 * failure to start exits 1, a bad configuration 78.
 */
async function serve(kind: ServerKind, args: string[]): Promise<number> {
  if (args.length > 0)
    throw new UsageError(
      `disparo ${kind} takes no arguments (configuration comes from the environment), got: ${args.join(' ')}`,
    );
  const config = loadConfig();
  const roles = kind === 'api' ? [] : (workerRoles(config, KNOWN_ROLES) as WorkerRole[]);
  const services = await startServices(config, kind === 'start' ? 'disparo' : `disparo-${kind}`);
  const steps: Array<() => Promise<void>> = [];
  if (kind !== 'api') {
    const worker = await startWorker(services, roles);
    steps.push(() => worker.stop());
  }
  if (kind === 'worker') {
    // The API serves /metrics itself; a worker-only process has its own small endpoint.
    const metricsServer = await startMetricsServer(services);
    steps.unshift(() => metricsServer.close());
  }
  if (kind !== 'worker') {
    const server = await startApi(services);
    steps.unshift(() => server.close());
    if (kind === 'start' && config.DEMO) await runDemo(await pipelineDeps(services), config, server.url);
  }
  steps.push(() => services.close());
  onShutdownSignal(services.logger, config.SHUTDOWN_TIMEOUT_MS, steps);
  return -1; // keeps running until a signal
}

export const serverCommands: Record<ServerKind, CliCommand> = {
  api: { summary: 'run the HTTP API', usage: USAGES.api, run: (args) => serve('api', args) },
  worker: {
    summary: 'run the worker roles named in WORKER_ROLES (default: all)',
    usage: USAGES.worker,
    run: (args) => serve('worker', args),
  },
  start: {
    summary: 'run the API and every worker role in one process (DEMO=true seeds a demo campaign)',
    usage: USAGES.start,
    run: (args) => serve('start', args),
  },
};
