/**
 * A worker of the seed's design: the Bull processors of the roles in BASELINE_ROLES (default
 * all four) against MONGO_URL and REDIS_URL, queues under BASELINE_PREFIX (BASELINE_PREPARE_CONCURRENCY:
 * PrepareContact's concurrency, default the seed's 1). Started by
 * bench/baseline/run.ts as a process of its own, as Disparo's workers are; prints
 * "baseline worker started" when its processors are registered, stops on SIGTERM.
 */
import mongoose from 'mongoose';
import { modelsOf } from '../../src/infrastructure/mongo/models';
import { createContext } from './context';
import { dispatchCampaign } from './handlers/dispatch-campaign';
import { prepareContact } from './handlers/prepare-contact';
import { processCampaign } from './handlers/process-campaign';
import { verifyCampaigns } from './handlers/verify-campaigns';
import {
  type DispatchCampaignData,
  JOBS,
  openQueues,
  type PrepareContactData,
  type ProcessCampaignData,
  VERIFY_CRON,
} from './queues';

export const BASELINE_ROLES = ['verify', 'process', 'prepare', 'dispatch'] as const;
type Role = (typeof BASELINE_ROLES)[number];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function rolesFromEnv(): Set<Role> {
  const raw = process.env.BASELINE_ROLES ?? 'all';
  if (raw === 'all') return new Set(BASELINE_ROLES);
  const roles = raw.split(',').map((role) => role.trim());
  for (const role of roles)
    if (!(BASELINE_ROLES as readonly string[]).includes(role)) throw new Error(`unknown baseline role ${role}`);
  return new Set(roles as Role[]);
}

/** The seed registers PrepareContact with Bull's default, 1; BASELINE_PREPARE_CONCURRENCY tries others. */
function prepareConcurrency(): number {
  const value = Number(process.env.BASELINE_PREPARE_CONCURRENCY ?? '1');
  if (!Number.isInteger(value) || value < 1)
    throw new Error(
      `BASELINE_PREPARE_CONCURRENCY must be a positive integer, got ${process.env.BASELINE_PREPARE_CONCURRENCY}`,
    );
  return value;
}

async function main(): Promise<void> {
  const roles = rolesFromEnv();
  const mongo = await mongoose.createConnection(required('MONGO_URL')).asPromise();
  const queues = openQueues(required('REDIS_URL'), required('BASELINE_PREFIX'));
  const context = createContext(modelsOf(mongo), mongo, queues);
  const failed = (job: { name: string; id: unknown }, error: Error) =>
    process.stderr.write(`baseline: ${job.name} ${String(job.id)} failed: ${error.message}\n`);
  // Listening on a Bull queue starts its delayed-job timer: only on the queues this worker processes.
  if (roles.has('verify') || roles.has('process') || roles.has('prepare')) queues.campaign.on('failed', failed);
  if (roles.has('dispatch')) queues.dispatch.on('failed', failed);

  // The seed's registrations: default concurrency (1) each, DispatchCampaign explicitly 1.
  if (roles.has('verify')) {
    void queues.campaign.process(JOBS.verifyCampaigns, () => verifyCampaigns(context));
    await queues.campaign.add(
      JOBS.verifyCampaigns,
      {},
      { repeat: { cron: VERIFY_CRON }, jobId: JOBS.verifyCampaigns, removeOnComplete: true },
    );
  }
  if (roles.has('process'))
    void queues.campaign.process(JOBS.processCampaign, (job) =>
      processCampaign(context, job.data as ProcessCampaignData),
    );
  if (roles.has('prepare'))
    void queues.campaign.process(JOBS.prepareContact, prepareConcurrency(), (job) =>
      prepareContact(context, job.data as PrepareContactData),
    );
  if (roles.has('dispatch'))
    void queues.dispatch.process(JOBS.dispatchCampaign, 1, (job) =>
      dispatchCampaign(context, job.data as DispatchCampaignData),
    );
  await Promise.all([queues.campaign.isReady(), queues.dispatch.isReady()]);
  process.stdout.write(`baseline worker started (${[...roles].join(',')})\n`);

  let stopping = false;
  process.once('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void queues
      .close()
      .then(() => mongo.close())
      .finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `baseline worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
