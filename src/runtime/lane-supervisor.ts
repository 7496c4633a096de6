import { declareLane, type PipelineDeps } from '../application/pipeline-deps';
import { errorFields } from '../infrastructure/observability/logger';
import { ConsumerRunner, type ConsumerRunnerDeps, type ConsumerSpec } from '../infrastructure/rabbitmq/consumer-runner';

/**
 * The dispatch role: subscribes to the lane of every WhatsApp connection (one runner, one channel
 * each). Every dispatch worker does the same; the lanes' single-active-consumer makes one of them
 * the sender per number, and another takes over when it dies. New connections are found by
 * polling (`LANE_REFRESH_MS`); their lane queue exists from creation, so nothing waits on this.
 * `laneConsumer` gives the consumer of one connection's lane (the dispatch subscription with its handler).
 */
export class LaneSupervisor {
  private readonly runners = new Map<string, ConsumerRunner<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly deps: Pick<PipelineDeps, 'models' | 'broker' | 'topology' | 'logger'>,
    private readonly laneConsumer: (connectionId: string) => ConsumerSpec<unknown>,
    private readonly runnerDeps: ConsumerRunnerDeps,
    private readonly refreshMs: number,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
  }

  get lanes(): string[] {
    return [...this.runners.keys()];
  }

  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing;
    await Promise.all([...this.runners.values()].map((runner) => runner.stop(timeoutMs)));
  }

  private refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.openNewLanes()
        .catch((error: unknown) => {
          this.deps.logger.error('could not refresh dispatch lanes', errorFields(error));
        })
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    return this.refreshing;
  }

  private async openNewLanes(): Promise<void> {
    // A WhatsApp Web number's lane is subscribed by the worker holding its socket (whatsapp-web-host.ts).
    const connections = await this.deps.models.Connection.find({ gateway: { $ne: 'whatsapp-web' } }, { _id: 1 }).lean();
    for (const connection of connections) {
      const connectionId = String(connection._id);
      if (this.runners.has(connectionId)) continue;
      await declareLane(this.deps, connectionId);
      const runner = new ConsumerRunner(this.laneConsumer(connectionId), this.runnerDeps);
      await runner.start();
      this.runners.set(connectionId, runner as ConsumerRunner<unknown>);
      this.deps.logger.info('dispatch lane subscribed', { connectionId });
    }
  }
}
