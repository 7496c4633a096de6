import type { Channel } from 'amqplib';
import type { BindingSpec, ExchangeSpec, QueueSpec, TopologySpec } from './topology-spec';

/** Declares the topology on a channel; idempotent, run again after every reconnect. */
export async function applyTopology(channel: Channel, topology: TopologySpec): Promise<void> {
  await assertExchanges(channel, topology.exchanges);
  await assertQueues(channel, topology.queues);
  await applyBindings(channel, topology.bindings);
}

async function assertExchanges(channel: Channel, exchanges: ExchangeSpec[]): Promise<void> {
  await Promise.all(
    exchanges.map((exchange) => channel.assertExchange(exchange.name, exchange.type, { durable: true })),
  );
}

async function assertQueues(channel: Channel, queues: QueueSpec[]): Promise<void> {
  await Promise.all(
    queues.map((queue) => channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments })),
  );
}

async function applyBindings(channel: Channel, bindings: BindingSpec[]): Promise<void> {
  await Promise.all(
    bindings.map((binding) =>
      binding.destinationType === 'queue'
        ? channel.bindQueue(binding.destination, binding.source, binding.pattern)
        : channel.bindExchange(binding.destination, binding.source, binding.pattern),
    ),
  );
}
