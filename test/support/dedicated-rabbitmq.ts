import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from './collector';
import { freePort } from './system';

const run = promisify(execFile);
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
/** The settings every RabbitMQ node of Disparo's gets (provisioning, docker-compose, these nodes). */
const NODE_SETTINGS = join(__dirname, '..', '..', 'scripts', 'rabbitmq', 'advanced.config');

/** advanced.config with `extra` entries at the end of its `rabbit` list (a later entry wins over an earlier one). */
function withRabbitSettings(config: string, extra: string[]): string {
  if (extra.length === 0) return config;
  const start = config.indexOf('{rabbit, [');
  const end = config.indexOf(']}', start);
  if (start < 0 || end < 0) throw new Error('scripts/rabbitmq/advanced.config: no {rabbit, [...]} section');
  return `${config.slice(0, end)},\n   ${extra.join(',\n   ')}\n ${config.slice(end)}`;
}

/**
 * A RabbitMQ node of its own for tests that stop the broker (the shared node on :5672 must never
 * stop: other tests run against it). Same installation and same OS user as the shared node, so the
 * same Erlang cookie; its own node name, AMQP and distribution ports, data and log directories, and
 * no plugins (so no second management listener). Disparo applies its topology (delay levels,
 * queues) on it when it connects, as on any broker.
 */
export interface DedicatedRabbitMq {
  node: string;
  /** Its data and log directory (removed by `dispose`). */
  dir: string;
  /** The node's OS process id (the Erlang VM), e.g. to read its memory. */
  pid(): number;
  /** amqp:// URL of the node's default vhost. */
  url: string;
  /** `rabbitmqctl stop_app`: the broker closes every connection and stops accepting new ones. */
  stopApp(): Promise<void>;
  /** `rabbitmqctl start_app`, then waits until the broker accepts connections again. */
  startApp(): Promise<void>;
  /** `rabbitmq-diagnostics -n NODE ARGS…` (e.g. `runtime_thread_stats`, `memory_breakdown`; or another tool, `rabbitmqctl`); its stdout. */
  diagnostics(args: string[], binary?: string): Promise<string>;
  dispose(): Promise<void>;
}

/** Runs a RabbitMQ command-line tool as the broker's user (root switches to `rabbitmq`, whose home holds the cookie). */
async function tool(
  name: string,
  args: string[],
  env: Record<string, string> = {},
  raiseOpenFiles = false,
): Promise<string> {
  const binary = existsSync(join(RABBITMQ_BIN, name)) ? join(RABBITMQ_BIN, name) : name;
  const asRoot = process.getuid?.() === 0;
  const quoted = [binary, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  // The soft open-files limit up to the hard one, for the node started here (and its Erlang VM).
  const command = raiseOpenFiles ? `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${quoted}` : quoted;
  const { stdout } = asRoot
    ? await run('su', ['rabbitmq', '-s', '/bin/sh', '-c', command], { env: { ...process.env, ...env }, cwd: '/tmp' })
    : await run('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, cwd: '/tmp' });
  return stdout;
}

async function awaitStartup(node: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // await_startup fails at once while the node is still booting: ask again until it answers.
  for (;;) {
    try {
      await tool('rabbitmqctl', ['-n', node, 'await_startup', '--timeout', '10']);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${node} did not start: ${(error as Error).message}`);
      await sleep(500);
    }
  }
}

export interface DedicatedRabbitMqOptions {
  /** More `{rabbit, [...]}` entries for advanced.config, Erlang terms, over scripts/rabbitmq/advanced.config's (e.g. `{quorum_tick_interval, 5000}`). */
  rabbit?: string[];
  /** RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS (Erlang VM flags). */
  erlArgs?: string;
}

export async function startDedicatedRabbitMq(
  label: string,
  options: DedicatedRabbitMqOptions = {},
): Promise<DedicatedRabbitMq> {
  const dir = mkdtempSync(join(tmpdir(), `disparo-rabbitmq-${label}-`));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'rabbitmq']);
    chownSync(dir, Number(stdout.trim()), 0);
  }
  const plugins = join(dir, 'enabled_plugins');
  writeFileSync(plugins, '[].\n', { mode: 0o644 });
  const node = `disparo-${label}-${randomUUID().slice(0, 6)}@localhost`;
  const port = await freePort();
  const env = {
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
    RABBITMQ_PID_FILE: join(dir, 'pid'),
  };
  // Disparo's node settings (scripts/rabbitmq/advanced.config: the quorum-queue tick, file
  // handles counted as a LimitNOFILE=65536 node does), as every broker Disparo provisions; this
  // node raises its soft open-files limit to the hard one to match (docs/infrastructure.md).
  const advanced = join(dir, 'advanced.config');
  writeFileSync(advanced, withRabbitSettings(readFileSync(NODE_SETTINGS, 'utf8'), options.rabbit ?? []), {
    mode: 0o644,
  });
  const erlArgs: Record<string, string> = options.erlArgs
    ? { RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: options.erlArgs }
    : {};
  await tool('rabbitmq-server', ['-detached'], { ...env, ...erlArgs, RABBITMQ_ADVANCED_CONFIG_FILE: advanced }, true);
  await awaitStartup(node, 90_000);
  return {
    node,
    dir,
    pid: () => Number(readFileSync(join(dir, 'pid'), 'utf8').trim()),
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    async stopApp() {
      await tool('rabbitmqctl', ['-n', node, 'stop_app']);
    },
    async startApp() {
      await tool('rabbitmqctl', ['-n', node, 'start_app']);
      await awaitStartup(node, 60_000);
    },
    async diagnostics(args: string[], binary = 'rabbitmq-diagnostics') {
      return tool(binary, ['-n', node, ...args]);
    },
    async dispose() {
      await tool('rabbitmqctl', ['-n', node, 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
