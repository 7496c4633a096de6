#!/usr/bin/env node
import { ConfigError, loadConfig, workerRoles } from '../config';
import { eventsCommand, replayCommand, UsageError } from './event-commands';
import { startApi } from '../runtime/api-process';
import { startMetricsServer } from '../runtime/metrics-server';
import { runDemo } from '../runtime/demo';
import { pipelineDeps } from '../runtime/pipeline';
import { startServices } from '../runtime/services';
import { onShutdownSignal } from '../runtime/shutdown';
import { KNOWN_ROLES, startWorker, type WorkerRole } from '../runtime/worker';

const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

const USAGE = `Usage: disparo <command>

Commands:
  api       run the HTTP API
  worker    run the worker roles named in WORKER_ROLES (default: all)
  start     run the API and the worker roles in one process (DEMO=true seeds a demo campaign)
  events    list recorded events of a campaign, contact or time range (disparo events --help)
  replay    replay recorded events: debug queue, dry-run or live (disparo replay --help)
  help      show this text

Worker roles: ${KNOWN_ROLES.join(', ')}
Configuration comes from the environment; see .env.example.
Exit codes: 0 stopped cleanly, 1 failed, 2 bad usage, 78 bad configuration.`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === 'events' || command === 'replay') {
    const config = loadConfig();
    return command === 'events' ? eventsCommand(config, argv.slice(1)) : replayCommand(config, argv.slice(1));
  }
  if (!['api', 'worker', 'start'].includes(command)) {
    console.error(`disparo: unknown command "${command}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  const config = loadConfig();
  const roles = command === 'api' ? [] : (workerRoles(config, KNOWN_ROLES) as WorkerRole[]);
  const services = await startServices(config, command === 'start' ? 'disparo' : `disparo-${command}`);
  const steps: Array<() => Promise<void>> = [];
  if (command !== 'api') {
    const worker = await startWorker(services, roles);
    steps.push(() => worker.stop());
  }
  if (command === 'worker') {
    const metricsServer = await startMetricsServer(services);
    steps.unshift(() => metricsServer.close());
  }
  if (command !== 'worker') {
    const server = await startApi(services);
    steps.unshift(() => server.close());
    if (command === 'start' && config.DEMO) await runDemo(await pipelineDeps(services), config, server.url);
  }
  steps.push(() => services.close());
  onShutdownSignal(services.logger, config.SHUTDOWN_TIMEOUT_MS, steps);
  return -1; // keeps running until a signal
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`disparo: ${error.message}`);
      process.exit(EXIT.config);
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`disparo: ${(error as Error).message}`);
      process.exit(EXIT.usage);
    }
    console.error('disparo: failed to start:', error);
    process.exit(EXIT.failure);
  },
);
