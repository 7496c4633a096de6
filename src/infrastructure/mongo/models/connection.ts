import { Schema, type Types } from 'mongoose';

export const GATEWAY_KINDS = ['sandbox'] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];

/** Behaviour of the simulated WhatsApp behind a sandbox connection. */
export interface SandboxOptions {
  latencyMs: number;
  /** Share of sends answered with a transient error (0–1). */
  failureRate: number;
}

/** One WhatsApp number of a company, and the gateway that sends for it. */
export interface ConnectionDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  name: string;
  gateway: GatewayKind;
  status: 'connected' | 'disconnected';
  sandbox: SandboxOptions;
  createdAt: Date;
}

export const ConnectionSchema = new Schema<ConnectionDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    gateway: { type: String, enum: GATEWAY_KINDS, default: 'sandbox' },
    status: { type: String, enum: ['connected', 'disconnected'], default: 'connected' },
    sandbox: {
      latencyMs: { type: Number, default: 0 },
      failureRate: { type: Number, default: 0 },
    },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'connections', versionKey: false },
);
