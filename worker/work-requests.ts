/**
 * Asking the coordinator for work, and why none comes. One request is in flight at a time; a `no_work`
 * answer says when to ask again (`retryMs`) and why, and the why is told as the coordinator meant it
 * (protocol/messages.ts NoWorkReason): nothing queued is not the same as every unit being out with other
 * hosts, or the units left needing a different host.
 */
import type { CoordinatorMessage, NoWorkReason, WorkerMessage } from '../protocol/index.js';
import { unitsToRequest, type BufferState } from './work-buffer.js';

type NoWork = Extract<CoordinatorMessage, { type: 'no_work' }>;

/** The worker's own words for each reason, so the state line says the same whatever coordinator answers. */
export const NO_WORK_TEXT: Record<NoWorkReason, string> = {
  no_jobs: 'no jobs are queued',
  all_leased: 'every unit of the running jobs is out with other hosts or being validated',
  needs_other_host: 'the units left need a host other than this one (replicas of a unit never share a host or an account)',
  incompatible: 'the queued jobs are of kinds this worker does not run (a newer idlegrid may)',
  quota: 'this host holds as many units as the coordinator allows',
};

/** What the state line says while waiting: the reason in our words, with the coordinator's detail where it adds some. */
export function noWorkText(msg: Pick<NoWork, 'reason' | 'message'>): string {
  const ours = NO_WORK_TEXT[msg.reason];
  return msg.reason === 'quota' && msg.message ? `${ours} (${msg.message.slice(0, 120)})` : ours;
}

export class WorkRequests {
  private requesting = false;
  private retryTimer?: NodeJS.Timeout;
  /** Why the last request got nothing, or null. */
  why: string | null = null;

  constructor(private readonly send: (msg: WorkerMessage) => boolean, private readonly again: () => void) {}

  /** Ask for what the buffer lacks, unless a request is already out. */
  fill(state: BufferState): void {
    if (this.requesting) return;
    const want = unitsToRequest(state);
    if (want > 0) this.requesting = this.send({ type: 'request', count: want });
  }

  /** Units came. */
  got(): void {
    this.requesting = false;
    this.why = null;
  }

  /** None came: remember why (unless `quiet`: a full quota with units in hand is the buffer working), ask again when told. */
  none(msg: NoWork, quiet: boolean): void {
    this.requesting = false;
    this.why = quiet ? null : noWorkText(msg);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(this.again, msg.retryMs);
    this.retryTimer.unref();
  }

  /** The request will get no answer (an error, a lost connection): the next fill may ask again. */
  lost(): void {
    this.requesting = false;
  }

  /** The link went down: the last reason is stale. */
  reset(): void {
    this.requesting = false;
    this.why = null;
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }
}
