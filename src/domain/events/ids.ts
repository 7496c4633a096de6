import { z } from 'zod';

/** Record ids on the wire: MongoDB ObjectIds as 24 hex characters. */
export const RecordId = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character hex id');
export const Timestamp = z.iso.datetime({ offset: true });
