#!/usr/bin/env node
/**
 * `disparo <command>`: the servers (api, worker, start) and the operator's tools. Each command is
 * one file under commands/, loaded only when it runs (so `--help` answers at once); this file only
 * picks it. Exit codes are in cli-errors.ts (EXIT).
 */
import { type CliCommand, EXIT } from './cli-errors';
import { runCommand } from './run-command';

interface Entry {
  summary: string;
  load(): Promise<CliCommand>;
}

const COMMANDS: Record<string, Entry> = {
  api: { summary: 'run the HTTP API', load: async () => (await import('./commands/serve.js')).serverCommands.api },
  worker: {
    summary: 'run the worker roles named in WORKER_ROLES (default: all)',
    load: async () => (await import('./commands/serve.js')).serverCommands.worker,
  },
  start: {
    summary: 'run the API and every worker role in one process (DEMO=true seeds a demo)',
    load: async () => (await import('./commands/serve.js')).serverCommands.start,
  },
  company: {
    summary: 'create a company and its API key (disparo company create <name>)',
    load: async () => (await import('./commands/company.js')).companyCommand,
  },
  import: {
    summary: 'import a CSV file into a contact list, with a progress bar',
    load: async () => (await import('./commands/import.js')).importCommand,
  },
  progress: {
    summary: "show campaigns' progress live: a bar each, sends per minute, estimated finish",
    load: async () => (await import('./commands/progress.js')).progressCommand,
  },
  report: {
    summary: "write a campaign's per-contact report as CSV (to stdout or --out FILE)",
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  lanes: {
    summary: "show each number's dispatch lane: state, last send, next allowed, lag, queue depth",
    load: async () => (await import('./commands/lanes.js')).lanesCommand,
  },
  events: {
    summary: 'list recorded events of a campaign, contact, correlation or time range',
    load: async () => (await import('./commands/event-log.js')).eventsCliCommand,
  },
  replay: {
    summary: 'replay recorded events: to a debug queue, dry-run through a consumer, or live',
    load: async () => (await import('./commands/event-log.js')).replayCliCommand,
  },
};

const USAGE = `Usage: disparo <command> [options]     (disparo <command> --help for its options)

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`)
  .join('\n')}
  help      show this text, or a command's (disparo help <command>)

Configuration comes from the environment (see .env.example): the servers and the database tools
read MONGO_URL and RABBITMQ_URL; import talks to the API (DISPARO_API_URL, DISPARO_API_KEY).
Exit codes: 0 done, 1 failed, 2 bad usage, 78 bad configuration (one line names the variable),
130 interrupted (progress).`;

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? args[0] : undefined;
    const entry = topic ? COMMANDS[topic] : undefined;
    if (entry) return void console.log((await entry.load()).usage);
    const asked = Boolean(name) && !topic;
    if (topic) console.error(`disparo: unknown command "${topic}"\n`);
    (asked ? console.log : console.error)(USAGE);
    process.exitCode = asked ? EXIT.ok : EXIT.usage;
    return;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`disparo: unknown command "${name}"\n\n${USAGE}`);
    process.exitCode = EXIT.usage;
    return;
  }
  await runCommand(await entry.load(), args);
}

void main(process.argv.slice(2));
