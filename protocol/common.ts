import { z } from 'zod';
import { ErrorCodeSchema } from './errors.js';

/** Ids are short, URL-safe and case-sensitive: they appear in keys, paths and lease ids. */
export const JobId = z.string().regex(/^[a-z0-9]{6,32}$/, 'job id: 6-32 lowercase letters or digits');
export const HostId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'host id: 8-64 characters of A-Z a-z 0-9 _ -');
/** `<jobId>.<unitIndex>.<replica>`: names exactly one replica of one unit. */
export const LeaseId = z.string().regex(/^[a-z0-9]{6,32}\.\d{1,12}\.\d{1,3}$/, 'lease id: <job>.<unit>.<replica>');
export const KindName = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/);
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex digits');

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

export const WireErrorSchema = z.object({ code: ErrorCodeSchema, message: z.string() });

/** One line per issue, each naming the field: what a user needs to fix a request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function parseLeaseId(id: string): { jobId: string; unit: number; replica: number } {
  const [jobId, unit, replica] = id.split('.');
  return { jobId, unit: Number(unit), replica: Number(replica) };
}

export function leaseId(jobId: string, unit: number, replica: number): string {
  return `${jobId}.${unit}.${replica}`;
}
