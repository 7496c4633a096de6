import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'provision-cluster.sh');

/** A 3-node RabbitMQ cluster on loopback, started by scripts/provision-cluster.sh. */
export interface RabbitMqCluster {
  /** RABBITMQ_URL for Disparo: every node, comma-separated. */
  url: string;
  nodes: string[];
  dir: string;
  /** rabbitmqctl against one node (as the broker's user). */
  ctl(node: string, args: string[]): Promise<string>;
  dispose(): Promise<void>;
}

export async function startRabbitMqCluster(): Promise<RabbitMqCluster> {
  const { stdout } = await run('bash', [SCRIPT, 'start'], { timeout: 300_000, maxBuffer: 1 << 20 });
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
  if (!env.RABBITMQ_URL || !env.CLUSTER_NODES || !env.CLUSTER_DIR)
    throw new Error(`provision-cluster.sh printed no cluster: ${stdout.slice(-2000)}`);
  const dir = env.CLUSTER_DIR;
  const nodes = env.CLUSTER_NODES.split(',');
  return {
    url: env.RABBITMQ_URL,
    nodes,
    dir,
    async ctl(node, args) {
      const envFile = join(dir, `n${nodes.indexOf(node) + 1}`, 'env');
      const quoted = ['/usr/lib/rabbitmq/bin/rabbitmqctl', '-n', node, ...args]
        .map((part) => `'${part.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      const command = `set -a; . '${envFile}'; set +a; cd /tmp; exec ${quoted}`;
      const asRoot = process.getuid?.() === 0;
      const { stdout: out } = asRoot
        ? await run('su', ['rabbitmq', '-s', '/bin/sh', '-c', command], { timeout: 120_000, maxBuffer: 16 << 20 })
        : await run('sh', ['-c', command], { timeout: 120_000, maxBuffer: 16 << 20 });
      return out;
    },
    async dispose() {
      await run('bash', [SCRIPT, 'stop', dir], { timeout: 300_000 }).catch(() => undefined);
    },
  };
}
