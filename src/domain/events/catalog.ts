import type { z } from 'zod';
import {
  CampaignCancelled,
  CampaignCompleted,
  CampaignDue,
  CampaignPaused,
  CampaignResumed,
  CampaignScheduled,
  CampaignStarted,
  ContactsPrepared,
  PrepareContacts,
} from './campaign-messages';
import { ContactPrepared, MessageDispatched, MessageFailed } from './dispatch-messages';
import type { MessageDefinition } from './envelope';

/**
 * Every message kind by type name: what a replay needs to route a recorded event again. A kind
 * defined elsewhere registers itself here when it wants to be replayable.
 */
const definitions = new Map<string, MessageDefinition<string, z.ZodType>>();

export function registerMessages(...kinds: Array<MessageDefinition<string, z.ZodType>>): void {
  for (const kind of kinds) definitions.set(kind.type, kind);
}

export function messageDefinition(type: string): MessageDefinition<string, z.ZodType> | undefined {
  return definitions.get(type);
}

registerMessages(
  CampaignScheduled,
  CampaignDue,
  CampaignStarted,
  PrepareContacts,
  ContactsPrepared,
  CampaignPaused,
  CampaignResumed,
  CampaignCancelled,
  CampaignCompleted,
  ContactPrepared,
  MessageDispatched,
  MessageFailed,
);
