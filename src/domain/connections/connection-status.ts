/**
 * A WhatsApp number's status:
 *
 *   connected ──disconnect (operator)──► disconnected ──connect──► connected
 *   connected ──halt (the provider: spam limit, bad token)──► halted ──connect / lift (operator)──► connected
 *   halted ──disconnect──► disconnected
 *   (whatsapp-web) created in pairing ──pair (the phone linked it)──► connected
 *   (whatsapp-web) disconnected / halted ──repair (connect again: a new QR if its session is gone)──► pairing
 *   pairing ──disconnect──► disconnected
 *
 * Nothing is sent on a number that is not connected; its campaigns are paused when it leaves
 * `connected` and resumed by hand.
 */
/** `pairing`: a whatsapp-web number waiting for its phone to link it (QR or pairing code); nothing is sent yet. */
export const CONNECTION_STATUSES = ['connected', 'disconnected', 'halted', 'pairing'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export type ConnectionCommand = 'connect' | 'disconnect' | 'halt' | 'pair' | 'repair';

const ALLOWED: Record<ConnectionCommand, readonly ConnectionStatus[]> = {
  connect: ['disconnected', 'halted'],
  disconnect: ['connected', 'halted', 'pairing'],
  halt: ['connected', 'disconnected'],
  pair: ['pairing'],
  repair: ['disconnected', 'halted'],
};

const TARGET: Record<ConnectionCommand, ConnectionStatus> = {
  connect: 'connected',
  disconnect: 'disconnected',
  halt: 'halted',
  pair: 'connected',
  repair: 'pairing',
};

/** The statuses a command applies from: the filter of its compare-and-set. */
export function connectionStatusesAllowing(command: ConnectionCommand): ConnectionStatus[] {
  return [...ALLOWED[command]];
}

export function connectionTarget(command: ConnectionCommand): ConnectionStatus {
  return TARGET[command];
}
