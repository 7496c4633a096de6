/**
 * A WhatsApp number's status:
 *
 *   connected ──disconnect (operator)──► disconnected ──connect──► connected
 *   connected ──halt (the provider: spam limit, bad token)──► halted ──connect / lift (operator)──► connected
 *   halted ──disconnect──► disconnected
 *
 * Nothing is sent on a number that is not connected; its campaigns are paused when it leaves
 * `connected` and resumed by hand.
 */
export const CONNECTION_STATUSES = ['connected', 'disconnected', 'halted'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export type ConnectionCommand = 'connect' | 'disconnect' | 'halt';

const ALLOWED: Record<ConnectionCommand, readonly ConnectionStatus[]> = {
  connect: ['disconnected', 'halted'],
  disconnect: ['connected', 'halted'],
  halt: ['connected', 'disconnected'],
};

const TARGET: Record<ConnectionCommand, ConnectionStatus> = {
  connect: 'connected',
  disconnect: 'disconnected',
  halt: 'halted',
};

/** The statuses a command applies from: the filter of its compare-and-set. */
export function connectionStatusesAllowing(command: ConnectionCommand): ConnectionStatus[] {
  return [...ALLOWED[command]];
}

export function connectionTarget(command: ConnectionCommand): ConnectionStatus {
  return TARGET[command];
}
