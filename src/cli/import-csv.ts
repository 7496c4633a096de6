/**
 * The older entry point of the CSV import, kept for scripts that call it:
 *   npx tsx src/cli/import-csv.ts --list <listId> --key <apiKey> [--api URL] file.csv
 * It is `disparo import <listId> <file.csv>` (src/cli/commands/import.ts) under another name.
 */

import { importCommand } from './commands/import';
import { runCommand } from './run-command';

void runCommand(importCommand, process.argv.slice(2));
