import { Schema, type Types } from 'mongoose';
import { CONNECTION_STATUSES, type ConnectionStatus } from '../../../domain/connections/connection-status';
import type { CapSettings } from '../../../domain/pacing/daily-cap';

export const GATEWAY_KINDS = ['sandbox', 'cloud-api', 'whatsapp-web'] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];

/** Behaviour of the simulated WhatsApp behind a sandbox connection. */
export interface SandboxOptions {
  latencyMs: number;
  /** Share of sends answered with a transient error (0–1). */
  failureRate: number;
}

/**
 * A number on the WhatsApp Business Cloud API. `accessToken` and `appSecret` are secrets: never
 * logged, never shown by the API (only their last characters).
 */
export interface CloudApiSettings {
  phoneNumberId: string;
  /** The WhatsApp Business Account that owns the number: its message templates are read from it. */
  wabaId?: string | null;
  accessToken: string;
  /** Graph API version, e.g. `v23.0`. */
  apiVersion: string;
  /** `https://graph.facebook.com`, or a local server in tests. */
  baseUrl: string;
  /** Signs the status webhooks (X-Hub-Signature-256). */
  appSecret: string;
  /** Answers Meta's webhook verification handshake. */
  verifyToken: string;
}

/** One WhatsApp number of a company, and the gateway that sends for it. */
export interface ConnectionDoc {
  _id: Types.ObjectId;
  companyId: Types.ObjectId;
  name: string;
  gateway: GatewayKind;
  /** `halted`: the provider said the number is at risk (spam limit, bad token); its campaigns were paused. */
  status: ConnectionStatus;
  haltedReason: string | null;
  haltedAt: Date | null;
  sandbox: SandboxOptions;
  cloudApi: CloudApiSettings | null;
  /** Unique recipients per moving 24 h and the warm-up ramp from `createdAt` (absent: no cap). */
  dailyCap?: CapSettings | null;
  /**
   * Messages per second the provider accepts from this number (Cloud API: 80 by default, 1,000
   * after Meta's upgrade; sandbox: simulated, none by default; WhatsApp Web: none). Absent on
   * numbers stored before it existed: read it with `effectiveThroughput`.
   */
  throughputPerSec?: number | null;
  createdAt: Date;
}

export const ConnectionSchema = new Schema<ConnectionDoc>(
  {
    companyId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    gateway: { type: String, enum: GATEWAY_KINDS, default: 'sandbox' },
    status: { type: String, enum: CONNECTION_STATUSES, default: 'connected' },
    haltedReason: { type: String, default: null },
    haltedAt: { type: Date, default: null },
    sandbox: {
      latencyMs: { type: Number, default: 0 },
      failureRate: { type: Number, default: 0 },
    },
    cloudApi: {
      type: new Schema(
        {
          phoneNumberId: String,
          wabaId: { type: String, default: null },
          accessToken: String,
          apiVersion: String,
          baseUrl: String,
          appSecret: String,
          verifyToken: String,
        },
        { _id: false },
      ),
      default: null,
    },
    dailyCap: { type: Schema.Types.Mixed, default: null },
    throughputPerSec: { type: Number, default: null },
    createdAt: { type: Date, default: () => new Date() },
  },
  { collection: 'connections', versionKey: false },
);

export { CONNECTION_STATUSES, type ConnectionStatus };
