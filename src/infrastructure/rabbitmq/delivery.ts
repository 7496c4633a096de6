import type { ConsumeMessage, Options } from 'amqplib';

/** Headers the broker adds on its own; carried forward they would only mislead. */
const BROKER_HEADERS = [
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-delivery-count',
];

/** The properties to publish a delivered message again (retry, dead letter) as it came. */
export function republishProperties(message: ConsumeMessage, extraHeaders: Record<string, unknown>): Options.Publish {
  const { properties } = message;
  const headers: Record<string, unknown> = { ...properties.headers };
  for (const name of BROKER_HEADERS) delete headers[name];
  return {
    persistent: true,
    contentType: properties.contentType ?? undefined,
    messageId: properties.messageId ?? undefined,
    correlationId: properties.correlationId ?? undefined,
    type: properties.type ?? undefined,
    timestamp: properties.timestamp ?? undefined,
    appId: properties.appId ?? undefined,
    headers: { ...headers, ...extraHeaders },
  };
}
