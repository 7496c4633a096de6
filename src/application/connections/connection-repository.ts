import type { ConnectionStatus } from '../../domain/connections/connection-status';
import type { WebPairingDoc } from '../../infrastructure/gateways/whatsapp-web/web-store';
import type { ConnectionDoc } from '../../infrastructure/mongo/models/connection';

/** What a new number is made of. */
export type NewConnection = Pick<ConnectionDoc, 'name' | 'gateway'> &
  Partial<Pick<ConnectionDoc, 'sandbox' | 'status' | 'throughputPerSec'>> & {
    companyId: string;
    cloudApi: ConnectionDoc['cloudApi'] | null;
  };

/**
 * The connections' store, as the connection service needs it. A status change is a compare-and-set
 * on the status (`from`), so two callers (a worker halting the number, an operator connecting it)
 * never both apply one.
 */
export interface ConnectionRepository {
  create(fields: NewConnection): Promise<ConnectionDoc>;
  findById(id: string): Promise<ConnectionDoc | null>;
  /**
   * Sets `set` (dotted paths allowed), only if its status is one of `from` when given; the
   * connection after, or null (not found, or in another status).
   */
  update(id: string, set: Record<string, unknown>, from?: readonly ConnectionStatus[]): Promise<ConnectionDoc | null>;
  /** Removes it, only if its status is one of `from` when given; whether it did. */
  remove(id: string, from?: readonly ConnectionStatus[]): Promise<boolean>;
}

/** A WhatsApp Web number's pairing record (its QR or code) and session secret, kept beside the connection. */
export interface PairingRecords {
  /** An empty record for a number about to be paired. */
  open(connectionId: string): Promise<void>;
  /** A record again for a number paired anew (kept if it exists). */
  reopen(connectionId: string): Promise<void>;
  /** The phone linked it: the QR, code and phone shown are cleared. */
  linked(connectionId: string): Promise<void>;
  /** The record and any session secret removed. */
  forget(connectionId: string): Promise<void>;
  /** The record as the API shows it, or null. */
  find(connectionId: string): Promise<WebPairingDoc | null>;
  /** A pairing code asked for this phone (digits with the country code): any earlier code or error cleared; the record after. */
  askCode(connectionId: string, phone: string): Promise<WebPairingDoc>;
  /** The QR WhatsApp just issued, who holds the socket, one more QR counted. */
  recordQr(connectionId: string, qr: string, at: Date, holder: string): Promise<void>;
  /**
   * The code WhatsApp gave for `phone` (or why it gave none: the phone asked is then cleared), only
   * while `phone` is still the one asked.
   */
  recordCode(
    connectionId: string,
    phone: string,
    outcome: { code: string } | { error: string },
    at: Date,
  ): Promise<void>;
}
