/**
 * A unit's input slice, fetched over HTTP from the coordinator (which serves it only to the host that
 * holds the lease, proven by the host secret) and checked against the hash the coordinator recorded at
 * submission before anything computes on it.
 *
 * Keep "retry" and "never retry" apart: a coordinator that cannot be reached or answers 5xx says nothing
 * about the unit, so the download is tried again with backoff until the unit's deadline (reporting it
 * as failed would count an error against a good unit on every coordinator restart); a slice whose hash
 * does not match, or a refusal (4xx), is the unit's failure.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrorCode, type ErrorCode, type WorkUnit } from '../protocol/index.js';
import { Backoff } from './backoff.js';
import type { HostIdentity } from './identity.js';

/** One attempt, body included: past this the coordinator is taken as unreachable for this try. */
const ATTEMPT_MS = 60_000;

/** The input could not be had before the unit's deadline: nobody can use a result now, so nothing is reported. */
export class InputUnavailable extends Error {}

/** Thrown for the unit's own failure; carries a registered code. */
class InputFailure extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

export interface DownloadOptions {
  signal: AbortSignal;
  /** Told before each retry why the coordinator could not give the input, and when the next try is. */
  onRetry?: (why: string, waitMs: number) => void;
}

export async function downloadInput(coordinator: string, identity: HostIdentity, unit: WorkUnit, opts: DownloadOptions): Promise<Uint8Array> {
  const url = coordinator.replace(/\/$/, '') + unit.input!.path;
  const headers = { 'x-idlegrid-host': identity.hostId, 'x-idlegrid-secret': identity.hostSecret };
  const backoff = new Backoff(1_000, 30_000);
  for (;;) {
    let why: string;
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.any([opts.signal, AbortSignal.timeout(ATTEMPT_MS)]) });
      if (res.ok) return check(unit, new Uint8Array(await res.arrayBuffer()));
      if (res.status < 500 && res.status !== 408 && res.status !== 429) throw await refusal(res);
      why = `HTTP ${res.status}`;
    } catch (err) {
      if (opts.signal.aborted || err instanceof InputFailure) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      why = cause?.code ?? cause?.message ?? (err as Error).message;
    }
    const wait = backoff.next();
    if (Date.now() + wait > unit.deadline) throw new InputUnavailable(`its input could not be downloaded before its deadline (${why})`);
    opts.onRetry?.(why, wait);
    await sleep(wait, undefined, { signal: opts.signal });
  }
}

function check(unit: WorkUnit, bytes: Uint8Array): Uint8Array {
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== unit.input!.sha256) throw new InputFailure('INPUT_HASH', `input slice hash ${sha} does not match ${unit.input!.sha256} (${bytes.length} bytes downloaded)`);
  return bytes;
}

/** The coordinator refused the download: its own `{ error: { code, message } }` where it gave one. */
async function refusal(res: Response): Promise<InputFailure> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  const code = body?.error?.code;
  const message = `input download refused: HTTP ${res.status}${typeof body?.error?.message === 'string' ? `: ${body.error.message}` : ''}`;
  return new InputFailure(isErrorCode(code) ? code : 'UNIT_ERROR', message);
}
