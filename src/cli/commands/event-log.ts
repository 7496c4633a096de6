import { loadConfig } from '../../config';
import type { CliCommand } from '../cli-errors';
import { EVENTS_USAGE, eventsCommand, REPLAY_USAGE, replayCommand } from '../event-commands';

const EXITS = '\nExit codes: 0 done, 1 failed, 2 bad usage, 78 bad configuration.';

export const eventsCliCommand: CliCommand = {
  summary: 'list recorded events of a campaign, contact, correlation or time range',
  usage: EVENTS_USAGE + EXITS,
  run: (args) => eventsCommand(loadConfig(), args),
};

export const replayCliCommand: CliCommand = {
  summary: 'replay recorded events: to a debug queue, dry-run through a consumer, or live',
  usage: REPLAY_USAGE + EXITS,
  run: (args) => replayCommand(loadConfig(), args),
};
