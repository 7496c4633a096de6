import type * as Baileys from '@whiskeysockets/baileys';

export type BaileysModule = typeof Baileys;

let loading: Promise<BaileysModule> | undefined;

/**
 * Baileys 7 is published as ES modules only; this CommonJS build loads it with a dynamic import
 * (once per process) rather than `require`, which fails on its own ESM-only dependencies.
 */
export function loadBaileys(): Promise<BaileysModule> {
  loading ??= import('@whiskeysockets/baileys');
  return loading;
}
