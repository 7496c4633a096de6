/** The benchmarks' progress lines (seconds since start) and number formatting. */
import { performance } from 'node:perf_hooks';

export const wallStart = performance.now();

export const log = (line: string) =>
  process.stdout.write(`[${((performance.now() - wallStart) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

export function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
