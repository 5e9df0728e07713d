/**
 * A unit that could not be computed, as the coordinator is told: `{ code, message }` with a code from the
 * registry (protocol/errors.ts), so a kind's own code (SAH_DATA, FFTSCAN_INPUT) reaches the job's owner
 * unchanged. A code the registry does not hold (a kernel's typo, an older worker's file in the outbox)
 * travels as UNIT_ERROR with the original code kept at the front of the message.
 */
import { isErrorCode, type ErrorCode } from '../protocol/index.js';

export interface UnitFailure {
  code: ErrorCode;
  message: string;
}

/** The wire limit of a failure's message (protocol/messages.ts FailureItem). */
const MAX_MESSAGE = 2000;

/** From whatever a kernel, a download or a file gave: an Error with a `code`, or a `{ code, message }` value. */
export function unitFailure(err: unknown): UnitFailure {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  if (isErrorCode(e.code)) return { code: e.code, message: message.slice(0, MAX_MESSAGE) };
  const tagged = typeof e.code === 'string' && e.code ? `${e.code.slice(0, 64)}: ${message}` : message;
  return { code: 'UNIT_ERROR', message: tagged.slice(0, MAX_MESSAGE) };
}
