import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { readsOf } from '../../application/service-registry';
import { loadConfig } from '../../config';
import { withDatabase } from '../cli-database';
import { type CliCommand, CommandFailure, EXIT, UsageError } from '../cli-errors';

const USAGE = `Usage: disparo report <campaignId> [--out FILE] [--company ID]

  Writes a campaign's per-contact report as CSV (one row per contact planned: phone, name,
  variant, status, planned/sent/delivered/read times, failure reason) to standard output, or to
  FILE. Streamed from MongoDB (MONGO_URL) with bounded memory, as GET /v1/campaigns/:id/report.csv.
  Cells a spreadsheet would run as a formula are prefixed with an apostrophe.

  --out      write to this file instead of standard output
  --company  refuse a campaign of another company

Exit codes: 0 written, 1 unknown campaign or database unreachable, 2 bad usage, 78 bad configuration.`;

const OBJECT_ID = /^[a-f0-9]{24}$/;

export const reportCommand: CliCommand = {
  summary: "write a campaign's per-contact report as CSV (to stdout or --out FILE)",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { out: { type: 'string' }, company: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('give one campaign id');
    const [campaignId] = positionals as [string];
    for (const id of [campaignId, values.company].filter((id) => id !== undefined))
      if (!OBJECT_ID.test(id)) throw new UsageError(`not a campaign or company id: ${id}`);
    return withDatabase(loadConfig(), async (database) => {
      const reads = readsOf(database);
      const campaign = await reads.campaignById(campaignId, { companyId: 1 });
      if (!campaign || (values.company && String(campaign.companyId) !== values.company))
        throw new CommandFailure(`no such campaign: ${campaignId}`);
      const output = values.out ? createWriteStream(values.out) : process.stdout;
      await pipeline(reads.campaignReport(campaign._id), output, { end: Boolean(values.out) });
      return EXIT.ok;
    });
  },
};
