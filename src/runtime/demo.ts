import { createCampaign, startCampaign } from '../application/campaigns/campaign-controls';
import { createCompany } from '../application/companies/company-service';
import { createConnection } from '../application/connections/connection-service';
import { addContacts, createList } from '../application/contacts/contact-lists';
import type { PipelineDeps } from '../application/pipeline-deps';
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
  // The same use cases as the API's: register, add a number, a list and its contacts, a campaign.
  const { company, apiKey } = await createCompany(
    pipeline,
    { name: 'Loja Demo', pacing: { messageIntervalMs: 2_000, longerIntervalAfter: 5, greaterIntervalMs: 6_000 } },
    'demo',
  );
  const companyId = String(company._id);
  const cause = newCorrelation(companyId, 'demo');
  const connection = await createConnection(pipeline, cause, {
    name: 'Sandbox +55 11 90000-0000',
    gateway: 'sandbox',
    sandbox: { latencyMs: 80, failureRate: 0.05 },
    cloudApi: null,
  });
  const list = await createList(pipeline, companyId, 'Clientes demo');
  await addContacts(
    pipeline,
    companyId,
    list._id,
    DEMO_CONTACTS.map((name, i) => ({
      phone: `+55119${String(70_000_000 + i).padStart(8, '0')}`,
      name,
      fields: { loja: i % 2 ? 'Campinas' : 'Santos' },
    })),
  );
  const campaign = await createCampaign(pipeline, cause, {
    name: 'Promoção de boas-vindas',
    connectionId: String(connection._id),
    listId: String(list._id),
    variants: [
      'Olá {name}! A loja de {loja} tem novidades para você.',
      'Oi {name}, passe na loja de {loja} esta semana!',
    ],
    mediaUrl: null,
    pacing: null,
  });
  const campaignId = String(campaign._id);
  await startCampaign(pipeline, cause, campaignId);
  process.stdout.write(
    `${demoBanner({ apiUrl, apiKey, campaignId, companyId, consoleUrl: consoleUrl(config), adminKey: config.ADMIN_API_KEY })}\n`,
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
