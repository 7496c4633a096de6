import type { Models } from './models';

/** How many campaigns are in each status, across companies (for the `disparo_campaigns` gauge). */
export async function campaignsByStatus(models: Pick<Models, 'Campaign'>): Promise<Record<string, number>> {
  const groups = await models.Campaign.aggregate<{ _id: string; count: number }>([
    { $group: { _id: '$status', count: { $sum: 1 } } },
  ]);
  return Object.fromEntries(groups.map((group) => [group._id, group.count]));
}
