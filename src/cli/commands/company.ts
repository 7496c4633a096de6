import { parseArgs } from 'node:util';
import { companyView } from '../../api/presenters';
import { CreateCompanyBody, pacingToMs } from '../../api/schemas';
import { createCompany } from '../../application/companies/company-service';
import { loadConfig } from '../../config';
import { withDatabase } from '../cli-database';
import { type CliCommand, EXIT, UsageError } from '../cli-errors';
import { print, printError } from '../terminal/safe-text';

const USAGE = `Usage: disparo company create <name> [--region BR] [--timezone America/Sao_Paulo]
                              [--message-interval S] [--longer-interval-after N] [--greater-interval S] [--json]

  Creates a company and its API key, and prints both. The key is shown this once: only its hash
  is stored. Writes to MongoDB directly (MONGO_URL), so it works before the API is running and
  needs no admin key; POST /v1/companies does the same over HTTP with ADMIN_API_KEY.

  --region    ISO 3166 country for phone numbers written without a country code (default BR)
  --timezone  IANA time zone (default America/Sao_Paulo)
  --message-interval, --longer-interval-after, --greater-interval
              the company's pacing (seconds, count, seconds; defaults 20, 20, 60)
  --json      print {"company": {...}, "apiKey": "..."} for scripts

Exit codes: 0 created, 1 failed, 2 bad usage, 78 bad configuration.`;

const OPTIONS = {
  region: { type: 'string' },
  timezone: { type: 'string' },
  'message-interval': { type: 'string' },
  'longer-interval-after': { type: 'string' },
  'greater-interval': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const numberOption = (value: string | undefined) => (value === undefined ? undefined : Number(value));

/** The same validation as POST /v1/companies, so both ways accept the same companies. */
function companyInput(name: string, values: { [K in keyof typeof OPTIONS]?: string | boolean }) {
  const pacing = {
    messageInterval: numberOption(values['message-interval'] as string | undefined),
    longerIntervalAfter: numberOption(values['longer-interval-after'] as string | undefined),
    greaterInterval: numberOption(values['greater-interval'] as string | undefined),
  };
  const given = Object.fromEntries(Object.entries(pacing).filter(([, value]) => value !== undefined));
  const parsed = CreateCompanyBody.safeParse({
    name,
    defaultRegion: (values.region as string | undefined)?.toUpperCase(),
    timezone: values.timezone,
    pacing: Object.keys(given).length > 0 ? given : undefined,
  });
  if (!parsed.success) {
    const flag: Record<string, string> = {
      defaultRegion: '--region',
      name: '<name>',
      timezone: '--timezone',
      messageInterval: '--message-interval',
      longerIntervalAfter: '--longer-interval-after',
      greaterInterval: '--greater-interval',
    };
    throw new UsageError(
      parsed.error.issues
        .map((issue) => `${flag[String(issue.path.at(-1))] ?? issue.path.join('.')}: ${issue.message}`)
        .join('; '),
    );
  }
  return parsed.data;
}

export const companyCommand: CliCommand = {
  summary: 'create a company and its API key (disparo company create <name>)',
  usage: USAGE,
  async run(args) {
    const [subcommand, ...rest] = args;
    if (subcommand !== 'create')
      throw new UsageError(
        subcommand
          ? `unknown subcommand "company ${subcommand}"`
          : 'a subcommand is needed: disparo company create <name>',
      );
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('one company name is needed (quote it if it has spaces)');
    const input = companyInput(positionals[0]!, values);
    const config = loadConfig();
    const { company, apiKey } = await withDatabase(config, (database) =>
      createCompany(database, {
        name: input.name,
        timezone: input.timezone,
        defaultRegion: input.defaultRegion,
        pacing: pacingToMs(input.pacing),
      }),
    );
    const view = companyView(company);
    if (values.json) {
      print(JSON.stringify({ company: view, apiKey }));
    } else {
      print(`Created company "${view.name}" (region ${view.defaultRegion}, timezone ${view.timezone})`);
      print(`  company id: ${view.id}`);
      print(`  API key:    ${apiKey}`);
      printError('  The key is shown only now (only its hash is stored): keep it somewhere safe.');
    }
    return EXIT.ok;
  },
};
