import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Every message on the wire is an envelope: who/what/when around a typed payload. Events and work
 * commands share it, so correlation (`correlationId` = the request or run that started it all,
 * `causationId` = the message that directly caused this one) works across the whole pipeline.
 */
export const EnvelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  companyId: z.string().min(1).max(64),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().min(1).max(128).nullable(),
  /** Set on messages re-published from the event log (replays). */
  replayed: z.boolean().optional(),
  payload: z.unknown(),
});

export type Envelope<TType extends string = string, TPayload = unknown> = Omit<
  z.infer<typeof EnvelopeSchema>,
  'type' | 'payload'
> & { type: TType; payload: TPayload };

/** One kind of message: its name, schema version, routing key and payload schema. */
export interface MessageDefinition<TType extends string, TPayload extends z.ZodType> {
  readonly type: TType;
  readonly version: number;
  readonly routingKey: string;
  readonly payload: TPayload;
  readonly schema: z.ZodType<Envelope<TType, z.infer<TPayload>>>;
}

export type MessageOf<D> = D extends MessageDefinition<infer T, infer P> ? Envelope<T, z.infer<P>> : never;

export function defineMessage<TType extends string, TPayload extends z.ZodType>(spec: {
  type: TType;
  version: number;
  routingKey: string;
  payload: TPayload;
}): MessageDefinition<TType, TPayload> {
  const schema = EnvelopeSchema.extend({
    type: z.literal(spec.type),
    version: z.literal(spec.version),
    payload: spec.payload,
  }) as unknown as z.ZodType<Envelope<TType, z.infer<TPayload>>>;
  return { ...spec, schema };
}

/** Where a new message comes from: the message that caused it, or a fresh correlation. */
export interface Cause {
  companyId: string;
  correlationId: string;
  causationId: string | null;
}

export function causedBy(parent: Pick<Envelope, 'companyId' | 'correlationId' | 'eventId'>): Cause {
  return { companyId: parent.companyId, correlationId: parent.correlationId, causationId: parent.eventId };
}

export function newCorrelation(companyId: string, correlationId: string = randomUUID()): Cause {
  return { companyId, correlationId, causationId: null };
}

/** Namespace of Disparo's name-based event ids (a fixed random UUID). */
const EVENT_ID_NAMESPACE = Buffer.from('5b0e3c8e6f2a4d7c9a41c2d0e8b7f315', 'hex');

/**
 * A name-based UUID (RFC 9562 version 5) for an event that must have one identity however often it
 * is published: the outcome of a shipping (`MessageDispatched` of shipping X) is the same event when
 * a crash makes it go out again, so the event log, keyed on `eventId`, stores it once.
 */
export function stableEventId(...name: string[]): string {
  const hash = createHash('sha1').update(EVENT_ID_NAMESPACE).update(name.join('/')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createMessage<TType extends string, TPayload extends z.ZodType>(
  definition: MessageDefinition<TType, TPayload>,
  payload: z.input<TPayload>,
  cause: Cause,
  now: Date = new Date(),
  eventId: string = randomUUID(),
): Envelope<TType, z.infer<TPayload>> {
  return definition.schema.parse({
    eventId,
    type: definition.type,
    version: definition.version,
    occurredAt: now.toISOString(),
    companyId: cause.companyId,
    correlationId: cause.correlationId,
    causationId: cause.causationId,
    payload,
  });
}
