/** Text drawing for the terminal commands: pure, so it is tested without a terminal. */

import { escapeControlCharacters } from '../../domain/text/control-characters';

/** `[#########-----------]` for a share between 0 and 1. */
export function renderBar(share: number, width = 30): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function percent(share: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, share)) * 100)}%`.padStart(4);
}

/** A duration as people read it: 45s, 3m 05s, 2h 10m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export const thousands = (n: number) => n.toLocaleString('en-US');

/** Columns padded to their widest cell; the last column is not padded. Cells are made safe (a line break in one is escaped). */
export function renderTable(header: string[], cellsOfRows: string[][]): string {
  const rows = cellsOfRows.map((row) => row.map(escapeControlCharacters));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
