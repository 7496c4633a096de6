import { parseArgs } from 'node:util';
import type { CampaignProgress } from '../../application/campaigns/campaign-progress';
import { readsOf } from '../../application/service-registry';
import { loadConfig } from '../../config';
import { type CampaignStatus, isFinished } from '../../domain/campaigns/campaign-status';
import { type Database, withDatabase } from '../cli-database';
import { type CliCommand, CommandFailure, EXIT, UsageError } from '../cli-errors';
import { LiveFrame } from '../terminal/live-frame';
import { formatDuration, percent, renderBar, thousands } from '../terminal/progress-bar';
import { print } from '../terminal/safe-text';

const USAGE = `Usage: disparo progress [campaignId…] [--company ID] [--once] [--json] [--every SECONDS]

  Shows campaigns' progress live: a bar per campaign, sends per minute (since the start; for a
  finished campaign over the span it sent in, as the API and the progress page show it) and the
  estimated finish by the pacing rule (and the number's provider rate, shown as "provider 80/s" on a
  Cloud API number). Without ids: the campaigns in progress (queued, running, paused).
  Refreshes until every campaign shown has finished, or Ctrl-C. Reads MongoDB (MONGO_URL).

  --company  only this company's campaigns
  --once     print one frame and exit (for scripts)
  --json     with --once: the progress as JSON (one array)
  --every    seconds between refreshes (default 1)

Exit codes: 0 finished (or --once), 1 unknown campaign or database unreachable, 2 bad usage,
78 bad configuration, 130 interrupted (Ctrl-C).`;

const ACTIVE: CampaignStatus[] = ['queued', 'running', 'paused'];
const OBJECT_ID = /^[a-f0-9]{24}$/;

async function load(database: Database, ids: string[], companyId: string | undefined): Promise<CampaignProgress[]> {
  const reads = readsOf(database);
  const campaigns = await reads.campaignsForOperator(ids, ACTIVE, companyId);
  const missing = ids.filter((id) => !campaigns.some((campaign) => String(campaign._id) === id));
  if (missing.length > 0) throw new CommandFailure(`no such campaign: ${missing.join(', ')}`);
  campaigns.sort((a, b) =>
    ids.length > 0
      ? ids.indexOf(String(a._id)) - ids.indexOf(String(b._id))
      : a.createdAt.getTime() - b.createdAt.getTime(),
  );
  return reads.progressOf(campaigns, Date.now());
}

const rate = (share: number | null) => (share === null ? '–' : percent(share).trimStart());

/** Two lines per campaign: its name and status, then the bar and the figures. */
export function renderCampaign(progress: CampaignProgress, perMinute: number, now: number): string {
  const { counters } = progress;
  const total = counters.audience - counters.missing;
  const finish = progress.estimatedFinishAt
    ? `finish ≈ ${new Date(progress.estimatedFinishAt).toLocaleTimeString()} (in ${formatDuration(Date.parse(progress.estimatedFinishAt) - now)})`
    : progress.completedAt
      ? `finished ${new Date(progress.completedAt).toLocaleTimeString()}`
      : '';
  const template = progress.template ? `  template ${progress.template.name} (${progress.template.language})` : '';
  const reason = progress.pausedReason ? `  (${progress.pausedReason})` : '';
  const waiting =
    progress.waitingFor === 'window' && progress.nextOpeningAt
      ? `  waiting for its window (opens ${new Date(progress.nextOpeningAt).toLocaleString()})`
      : progress.waitingFor === 'cap' && progress.capFreesAt
        ? `  waiting for a daily cap (a slot frees ${new Date(progress.capFreesAt).toLocaleString()})`
        : '';
  const numbers = progress.connectionIds.length > 1 ? `  on ${progress.connectionIds.length} numbers` : '';
  const provider = progress.throughputPerSec === null ? '' : `  provider ${thousands(progress.throughputPerSec)}/s`;
  return [
    `${progress.name}  ${progress.campaignId}  ${progress.status}${reason}${waiting}${numbers}${provider}${template}`,
    `  ${renderBar(progress.done)} ${percent(progress.done)}  ${thousands(counters.sent)}/${thousands(total)} sent  ${thousands(counters.failed)} failed  ${thousands(progress.pending)} pending  ${rate(progress.deliveredRate)} delivered  ${rate(progress.readRate)} read  ${perMinute}/min  ${finish}`.trimEnd(),
  ].join('\n');
}

function options(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    options: {
      company: { type: 'string' },
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      every: { type: 'string', default: '1' },
    },
    allowPositionals: true,
    strict: true,
  });
  const bad = [...positionals, ...(values.company ? [values.company] : [])].filter((id) => !OBJECT_ID.test(id));
  if (bad.length > 0) throw new UsageError(`not a campaign or company id: ${bad.join(', ')}`);
  const everyMs = Number(values.every) * 1000;
  if (!Number.isFinite(everyMs) || everyMs < 100)
    throw new UsageError('--every must be a number of seconds, at least 0.1');
  if (values.json && !values.once) throw new UsageError('--json goes with --once');
  return {
    ids: positionals,
    companyId: values.company,
    once: Boolean(values.once),
    json: Boolean(values.json),
    everyMs,
  };
}

export const progressCommand: CliCommand = {
  summary: "show campaigns' progress live: a bar each, sends per minute, estimated finish",
  usage: USAGE,
  async run(args) {
    const opts = options(args);
    const config = loadConfig();
    return withDatabase(config, async (database) => {
      const frame = new LiveFrame();
      let interrupted = false;
      let wake: () => void = () => undefined;
      const onInterrupt = () => {
        interrupted = true;
        wake();
      };
      process.once('SIGINT', onInterrupt);
      frame.hideCursor();
      try {
        let ids = opts.ids;
        for (;;) {
          const progress = await load(database, ids, opts.companyId);
          // Without ids, the campaigns in progress at the start are followed until they finish.
          if (ids.length === 0) ids = progress.map((p) => p.campaignId);
          const now = Date.now();
          if (opts.json) {
            print(JSON.stringify(progress));
            return EXIT.ok;
          }
          const body =
            progress.length === 0
              ? 'No campaigns in progress.'
              : progress.map((p) => renderCampaign(p, p.sentPerMinute, now)).join('\n');
          frame.draw(`${body}\n${new Date(now).toLocaleTimeString()}${opts.once ? '' : '  (Ctrl-C to stop)'}`);
          if (opts.once || progress.every((p) => isFinished(p.status))) return EXIT.ok;
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, opts.everyMs);
          });
          if (interrupted) return EXIT.interrupted;
        }
      } finally {
        process.off('SIGINT', onInterrupt);
        frame.showCursor();
      }
    });
  },
};
