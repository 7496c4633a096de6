/**
 * A campaign's life:
 *
 *   draft ──schedule──► scheduled ──(due within the window)──► queued ──(due time)──► running ──► completed
 *     │                    │                                      │                     │
 *     └──start now─────────┴──────────────────────────────────────┘                     │
 *   scheduled / queued / running ──pause──► paused ──resume──► running (or scheduled, if not yet due)
 *   anything not finished ──cancel──► cancelled
 *
 * `queued` means a CampaignDue message is on its way (exactly one instance claimed it). It arrives a
 * little before the due time (publishers/campaign-due.ts), so a campaign is `running` up to that
 * long before its first send, which is planned at the due time itself.
 */
export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'queued',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Commands of a caller (API, CLI, a connection pausing its campaigns) … */
export type CampaignCommand =
  | 'schedule'
  | 'start'
  | 'pause'
  | 'resume'
  | 'cancel'
  | 'update'
  | 'delete'
  // A template campaign's template checked again against the catalogue before it starts or resumes.
  | 'refreshTemplate'
  // … and of the pipeline: the check queues a due campaign (or gives the claim back when sending
  // CampaignDue failed, or re-sends one stuck), processing runs it, the last shipping completes it.
  | 'queue'
  | 'unqueue'
  | 'resend'
  | 'run'
  | 'complete';

const ALLOWED: Record<CampaignCommand, readonly CampaignStatus[]> = {
  schedule: ['draft', 'scheduled'],
  start: ['draft', 'scheduled'],
  update: ['draft', 'scheduled'],
  delete: ['draft'],
  refreshTemplate: ['draft', 'scheduled', 'paused'],
  pause: ['scheduled', 'queued', 'running'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'queued', 'running', 'paused'],
  queue: ['scheduled'],
  unqueue: ['queued'],
  resend: ['queued'],
  run: ['queued'],
  complete: ['running'],
};

export function canApply(command: CampaignCommand, status: CampaignStatus): boolean {
  return ALLOWED[command].includes(status);
}

/** The statuses from which a command may be applied: the filter of the atomic update. */
export function statusesAllowing(command: CampaignCommand): CampaignStatus[] {
  return [...ALLOWED[command]];
}

export function isFinished(status: CampaignStatus): boolean {
  return status === 'completed' || status === 'cancelled';
}
