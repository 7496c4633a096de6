/**
 * The broker's shape as data. `applyTopology` turns it into broker state; docs/topology.md is
 * printed from it (`npm run docs:topology`), so the table and the broker never disagree.
 */
export type ExchangeType = 'topic' | 'direct' | 'fanout' | 'headers';

export interface ExchangeSpec {
  name: string;
  type: ExchangeType;
  purpose: string;
}

export interface QueueSpec {
  name: string;
  purpose: string;
  arguments: Record<string, unknown>;
}

export interface BindingSpec {
  /** Queue or exchange that receives. */
  destination: string;
  destinationType: 'queue' | 'exchange';
  source: string;
  pattern: string;
}

export interface TopologySpec {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  bindings: BindingSpec[];
}

export function mergeTopologies(...parts: TopologySpec[]): TopologySpec {
  return {
    exchanges: parts.flatMap((part) => part.exchanges),
    queues: parts.flatMap((part) => part.queues),
    bindings: parts.flatMap((part) => part.bindings),
  };
}
