import { z } from 'zod';
import { firstControl, printable } from './text.js';
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

/**
 * A name a person gives (job, account, team, token): others see it, so printable text only. Refused,
 * not stripped: the sender is at hand to fix it, and what is stored stays what was sent.
 */
export const Label = (max: number, min = 0) =>
  z
    .string()
    .min(min)
    .max(max)
    .superRefine((s, ctx) => {
      const c = firstControl(s);
      if (c) ctx.addIssue({ code: 'custom', message: `contains a control character (${c}); use printable text` });
    });

/**
 * A name a machine sends for display (a host's name in hello): stripped, not refused. The volunteer is
 * not watching when the worker connects, and a host kept off the grid for a cosmetic name helps no one.
 */
export const DisplayName = (max: number) => z.string().max(max).transform((s) => printable(s));

// Strict objects refuse unknown keys, but zod's issue names only the keys it refused. This error map
// (zod consults it for every schema, last) copies the object's known keys onto the issue, so that
// describeIssues can suggest the nearest one. It returns no message: zod's own text stays the default.
z.config({
  customError: (iss) => {
    if (iss.code === 'unrecognized_keys') {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      if (shape) (iss as { known?: string[] }).known = Object.keys(shape);
    }
    return undefined;
  },
});

const fold = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

/** Edit distance with transpositions (optimal string alignment): typos are mostly one of these four. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known word nearest to `word` (ignoring case, '-' and '_'), if it is near enough to be a typo. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = fold(word);
  for (const k of known) {
    const d = distance(w, fold(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(w.length / 3)) ? best : undefined;
}

/**
 * One line per issue, each naming the field (under `prefix`, e.g. "policy"): what a user needs to fix a
 * request. An unknown key gets a line of its own with the nearest known key, if one is near.
 */
export function describeIssues(error: z.ZodError, prefix?: string): string {
  const where = (path: readonly PropertyKey[]): string => {
    const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
    return parts.length ? parts.join('.') : '(root)';
  };
  return error.issues
    .flatMap((i) => {
      if (i.code !== 'unrecognized_keys') return [`${where(i.path)}: ${i.message}`];
      const known = (i as { known?: string[] }).known ?? [];
      return i.keys.map((k) => {
        const near = nearest(k, known);
        return `${where([...i.path, k])}: unknown key${near ? `; did you mean ${near}?` : known.length ? ` (known: ${known.join(', ')})` : ''}`;
      });
    })
    .join('; ');
}

export function parseLeaseId(id: string): { jobId: string; unit: number; replica: number } {
  const [jobId, unit, replica] = id.split('.');
  return { jobId, unit: Number(unit), replica: Number(replica) };
}

export function leaseId(jobId: string, unit: number, replica: number): string {
  return `${jobId}.${unit}.${replica}`;
}
