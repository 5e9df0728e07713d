/** Worker options: declared, defaulted and validated in one place, printed at start. */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';
import { defaultConfigDir } from './identity.js';

export const WorkerOptionsSchema = z.object({
  coordinator: z.string().regex(/^https?:\/\/[^\s]+$/, 'coordinator must be an http:// or https:// URL').default('http://127.0.0.1:8080'),
  threads: z.number().int().min(1).max(1024).default(() => availableParallelism()),
  /** Units kept ready beyond one per thread, so threads never wait on the network between units. */
  bufferUnits: z.number().int().min(0).max(256).default(2),
  configDir: z.string().default(() => defaultConfigDir()),
  name: z.string().max(64).optional(),
  account: z.string().max(128).optional(),
  /** Kernel slice length: the longest a thread runs before it checks the pause flag. */
  sliceMs: z.number().int().min(5).max(1000).default(100),
  checkpointIntervalS: z.number().positive().max(86_400).default(60),
});

export type WorkerOptionsInput = z.input<typeof WorkerOptionsSchema>;
export type WorkerOptions = z.output<typeof WorkerOptionsSchema>;

export function resolveWorkerOptions(input: WorkerOptionsInput): WorkerOptions {
  const parsed = WorkerOptionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid worker options: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
