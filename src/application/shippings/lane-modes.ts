import { Types } from 'mongoose';
import { effectiveThroughput } from '../../domain/connections/throughput';
import { type LaneMode, laneMode } from '../../domain/pacing/lane-mode';
import { DEFAULT_PACING, type PacingSettings } from '../../domain/pacing/pacing-settings';
import type { PipelineDeps } from '../pipeline-deps';

/** Each lane's mode from its connection's throughput and its company's pacing (two reads for all of them). */
export async function laneModes(
  deps: Pick<PipelineDeps, 'models'>,
  connectionIds: string[],
  maxGapMs: number,
): Promise<Map<string, LaneMode>> {
  const { models } = deps;
  const connections = await models.Connection.find(
    { _id: { $in: connectionIds.map((id) => new Types.ObjectId(id)) } },
    { companyId: 1, gateway: 1, throughputPerSec: 1 },
  ).lean();
  const companyIds = [...new Set(connections.map((connection) => String(connection.companyId)))];
  const companies = await models.Company.find(
    { _id: { $in: companyIds.map((id) => new Types.ObjectId(id)) } },
    { pacing: 1 },
  ).lean();
  const pacingOf = new Map(companies.map((company) => [String(company._id), company.pacing as PacingSettings]));
  return new Map(
    connections.map((connection) => [
      String(connection._id),
      laneMode(
        pacingOf.get(String(connection.companyId)) ?? DEFAULT_PACING,
        effectiveThroughput(connection.gateway, connection.throughputPerSec),
        maxGapMs,
      ),
    ]),
  );
}
