import { startCampaign } from '../application/campaign-controls';
import { registerCompany } from '../application/company-registration';
import { declareLane, type PipelineDeps } from '../application/pipeline-deps';
import type { Config } from '../config';
import { newCorrelation } from '../domain/events/envelope';

const DEMO_CONTACTS = [
  'Ana',
  'Bruno',
  'Carla',
  'Diego',
  'Elisa',
  'Fábio',
  'Gabi',
  'Hugo',
  'Iara',
  'João',
  'Kátia',
  'Lucas',
];

/**
 * `npm start`'s demo: a company with a sandbox number, a dozen contacts and a campaign that sends
 * every 2 s (a longer 6 s pause after every 5), so the pacing can be watched in the logs, the API
 * and the RabbitMQ console. Prints where to look and an API key.
 */
export async function runDemo(pipeline: PipelineDeps, config: Config, apiUrl: string): Promise<void> {
  const { Connection, ContactList, Contact, Campaign } = pipeline.models;
  const { company, apiKey } = await registerCompany(
    pipeline.models,
    { name: 'Loja Demo', pacing: { messageIntervalMs: 2_000, longerIntervalAfter: 5, greaterIntervalMs: 6_000 } },
    'demo',
  );
  const connection = await Connection.create({
    companyId: company._id,
    name: 'Sandbox +55 11 90000-0000',
    gateway: 'sandbox',
    sandbox: { latencyMs: 80, failureRate: 0.05 },
  });
  await declareLane(pipeline, String(connection._id));
  const list = await ContactList.create({ companyId: company._id, name: 'Clientes demo' });
  await Contact.insertMany(
    DEMO_CONTACTS.map((name, i) => ({
      companyId: company._id,
      phone: `+55119${String(70_000_000 + i).padStart(8, '0')}`,
      name,
      fields: { loja: i % 2 ? 'Campinas' : 'Santos' },
      listIds: [list._id],
    })),
  );
  const campaign = await Campaign.create({
    companyId: company._id,
    name: 'Promoção de boas-vindas',
    connectionId: connection._id,
    listId: list._id,
    variants: [
      'Olá {name}! A loja de {loja} tem novidades para você.',
      'Oi {name}, passe na loja de {loja} esta semana!',
    ],
  });
  const campaignId = String(campaign._id);
  await startCampaign(pipeline, newCorrelation(String(company._id), 'demo'), campaignId);
  process.stdout.write(
    `${demoBanner({ apiUrl, apiKey, campaignId, companyId: String(company._id), consoleUrl: consoleUrl(config), adminKey: config.ADMIN_API_KEY })}\n`,
  );
}

/** Where to look, printed once the demo campaign has started. */
export function demoBanner(where: {
  apiUrl: string;
  apiKey: string;
  campaignId: string;
  companyId: string;
  consoleUrl: string;
  adminKey: string | undefined;
}): string {
  const { apiUrl, apiKey, campaignId } = where;
  return [
    '',
    'Disparo demo is running: a campaign of a dozen messages on the sandbox WhatsApp gateway.',
    `  Progress page:     ${apiUrl}/progress#key=${apiKey}`,
    '                     (the key rides in the fragment: the browser never sends it to the server)',
    `  API:               ${apiUrl}   (health: ${apiUrl}/healthz)`,
    `  API key (demo):    ${apiKey}`,
    `  Campaign:          ${campaignId}`,
    `  RabbitMQ console:  ${where.consoleUrl}  (guest / guest; queues disparo.lane.*, disparo.*.dead)`,
    `  Admin key:         ${where.adminKey ?? '(ADMIN_API_KEY unset: company creation over HTTP disabled)'}`,
    '',
    '  In another terminal (same environment: set -a; . ./.infra.env):',
    `    npx disparo progress ${campaignId}      # live bars in the terminal (another terminal, same folder)`,
    `    npx disparo lanes --company ${where.companyId}`,
    `    curl -H "Authorization: Bearer ${apiKey}" ${apiUrl}/v1/campaigns/${campaignId}/progress`,
    '',
  ].join('\n');
}

function consoleUrl(config: Config): string {
  if (!config.RABBITMQ_MANAGEMENT_URL) return '(RABBITMQ_MANAGEMENT_URL unset)';
  const url = new URL(config.RABBITMQ_MANAGEMENT_URL);
  url.username = '';
  url.password = '';
  return url.toString();
}
