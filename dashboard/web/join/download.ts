/**
 * A unit's input slice, fetched from the coordinator that served the page, with the lease's proof (the
 * host id and secret: the coordinator serves a slice only to the host holding a live lease on its unit),
 * and checked against the hash the coordinator recorded at submission before anything computes on it.
 * As the Node worker does (worker/download.ts): a coordinator that cannot be reached or answers 5xx says
 * nothing about the unit, so the download is tried again with backoff until the unit's deadline; a slice
 * whose hash does not match, or a refusal (4xx), is the unit's failure.
 */
import { isErrorCode } from '../../../protocol/errors.js';
import type { WorkUnit } from '../../../protocol/messages.js';
import { Backoff } from './backoff.js';
import type { HostIdentity } from './identity.js';
import { sha256Hex } from './sha256.js';

/** The unit's own failure, with a registered code. */
export class UnitFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** The input could not be had before the deadline, or the unit is no longer wanted: nothing to report. */
export class InputUnavailable extends Error {}

export interface DownloadOptions {
  /** Waits on the timer thread: a hidden tab retries on time too. */
  sleep(ms: number): Promise<void>;
  /** Still worth fetching (not dropped, stopped or handed back meanwhile). */
  wanted(): boolean;
  onRetry?(why: string, waitMs: number): void;
}

/** One attempt, body included: past this the coordinator is taken as unreachable for this try. */
const ATTEMPT_MS = 60_000;

export async function downloadInput(unit: WorkUnit, identity: HostIdentity, o: DownloadOptions): Promise<Uint8Array> {
  const input = unit.input!;
  const backoff = new Backoff(1_000, 30_000);
  for (;;) {
    let why: string;
    try {
      const res = await fetch(input.path, {
        headers: { 'x-idlegrid-host': identity.hostId, 'x-idlegrid-secret': identity.hostSecret },
        cache: 'no-store',
        signal: AbortSignal.timeout?.(ATTEMPT_MS),
      });
      if (res.ok) return await check(unit, new Uint8Array(await res.arrayBuffer()));
      if (res.status < 500 && res.status !== 408 && res.status !== 429) throw await refusal(res);
      why = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof UnitFailure) throw err;
      why = (err as Error).message;
    }
    const wait = backoff.next();
    if (!o.wanted()) throw new InputUnavailable('no longer held');
    if (Date.now() + wait > unit.deadline) throw new InputUnavailable(`its input could not be downloaded before its deadline (${why})`);
    o.onRetry?.(why, wait);
    await o.sleep(wait);
    if (!o.wanted()) throw new InputUnavailable('no longer held');
  }
}

async function check(unit: WorkUnit, bytes: Uint8Array): Promise<Uint8Array> {
  const sha = await sha256Hex(bytes);
  if (sha !== unit.input!.sha256) throw new UnitFailure('INPUT_HASH', `input slice hash ${sha} does not match ${unit.input!.sha256} (${bytes.length} bytes downloaded)`);
  return bytes;
}

/** The coordinator refused the download: its own `{ error: { code, message } }` where it gave one. */
async function refusal(res: Response): Promise<UnitFailure> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  const code = body?.error?.code;
  const message = `input download refused: HTTP ${res.status}${typeof body?.error?.message === 'string' ? `: ${body.error.message}` : ''}`;
  return new UnitFailure(isErrorCode(code) ? code : 'UNIT_ERROR', message);
}
