/**
 * Worker options: how this process connects and where it keeps its files, plus the limits the compute
 * loop needs (thread count, buffer, checkpoint interval). The limits are declared once, in
 * preferences.ts; here they are reused so a demo or a benchmark that builds a VolunteerWorker directly
 * gets the same validation and defaults. `threads` here is the resolved count, not "50%".
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';
import { defaultConfigDir } from './identity.js';
import { PREFERENCES } from './preferences.js';

const pref = <K extends 'bufferUnits' | 'bufferMinutes' | 'checkpointIntervalS'>(k: K) => PREFERENCES[k].schema.default(PREFERENCES[k].default as never);

export const WorkerOptionsSchema = z.object({
  coordinator: z.string().regex(/^https?:\/\/[^\s]+$/, 'coordinator must be an http:// or https:// URL').default('http://127.0.0.1:8080'),
  threads: z.number().int().min(1).max(1024).default(() => availableParallelism()),
  /** Units kept ready beyond one per thread, so threads never wait on the network between units. */
  bufferUnits: pref('bufferUnits'),
  /** Minutes of work kept in hand, estimated from measured speed (work-buffer.ts). */
  bufferMinutes: pref('bufferMinutes'),
  configDir: z.string().default(() => defaultConfigDir()),
  name: z.string().max(64).optional(),
  account: z.string().max(128).optional(),
  /** Kernel slice length: the longest a thread runs before it checks the pause flag. */
  sliceMs: z.number().int().min(5).max(1000).default(100),
  checkpointIntervalS: pref('checkpointIntervalS'),
});

export type WorkerOptionsInput = z.input<typeof WorkerOptionsSchema>;
export type WorkerOptions = z.output<typeof WorkerOptionsSchema>;

export function resolveWorkerOptions(input: WorkerOptionsInput): WorkerOptions {
  const parsed = WorkerOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid worker options: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
