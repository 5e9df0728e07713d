/**
 * Every error that crosses a socket, a thread or the HTTP API travels as `{ code, message }`. Codes live
 * here, once, and are never reused for another meaning. `retry` says whether the same request may succeed
 * later (a host that vanished) or never will (bad input): the two are kept apart everywhere.
 */
export const ERRORS = {
  PROTOCOL_VERSION: { status: 400, retry: false, text: 'protocol version mismatch: upgrade the worker or the coordinator' },
  NOT_JSON: { status: 400, retry: false, text: 'message is not valid JSON' },
  BAD_MESSAGE: { status: 400, retry: false, text: 'message does not match its schema' },
  FRAME_TOO_LARGE: { status: 413, retry: false, text: 'message is larger than the limit' },
  OUT_OF_ORDER: { status: 409, retry: false, text: 'message not allowed in this state of the connection' },
  HOST_AUTH: { status: 403, retry: false, text: 'host id is registered with another secret' },
  UNKNOWN_LEASE: { status: 404, retry: false, text: 'no such lease' },
  LEASE_NOT_YOURS: { status: 403, retry: false, text: 'this lease was not given to this host' },
  DUPLICATE_RESULT: { status: 409, retry: false, text: 'a result for this lease was already received' },
  JOB_CANCELLED: { status: 410, retry: false, text: 'the job was cancelled or has finished' },
  BAD_RESULT: { status: 400, retry: false, text: 'result does not match the kind\'s result schema' },
  RATE_LIMITED: { status: 429, retry: true, text: 'too many messages; slow down' },
  TOO_MANY_LEASES: { status: 429, retry: true, text: 'this host holds as many units as it may' },
  UNKNOWN_KIND: { status: 400, retry: false, text: 'unknown job kind' },
  BAD_PARAMS: { status: 400, retry: false, text: 'job parameters are invalid' },
  BAD_REQUEST: { status: 400, retry: false, text: 'request is invalid' },
  NOT_FOUND: { status: 404, retry: false, text: 'not found' },
  UNAUTHORIZED: { status: 401, retry: false, text: 'a valid token is required' },
  FORBIDDEN: { status: 403, retry: false, text: 'this token may not do that' },
  CONFLICT: { status: 409, retry: false, text: 'the resource is not in a state that allows this' },
  INPUT_MISSING: { status: 400, retry: false, text: 'an input the job needs was not uploaded' },
  INPUT_HASH: { status: 422, retry: true, text: 'downloaded input does not match its hash' },
  STORE_UNAVAILABLE: { status: 503, retry: true, text: 'Redis is not reachable' },
  UNIT_ERROR: { status: 500, retry: false, text: 'the unit failed to compute' },
  INTERNAL: { status: 500, retry: true, text: 'internal error' },
  TOO_MANY_CONNECTIONS: { status: 429, retry: true, text: 'too many connections from this address or to this coordinator; retry later' },
  LEASE_NOT_LIVE: { status: 410, retry: false, text: 'the lease has ended (reported, timed out, released or withdrawn)' },
  SLOW_CLIENT: { status: 408, retry: true, text: 'the client was too slow to send or read; connection closed' },
  // A recording whose length does not match its header (the readers in workunits/fftscan/).
  SAH_TRUNCATED: { status: 400, retry: false, text: 'the .sah work unit holds fewer samples than its header declares' },
  SIGMF_TRUNCATED: { status: 400, retry: false, text: 'the SigMF dataset is not a whole number of samples of its datatype and channels' },
  SIGMF_NO_SAMPLES: { status: 400, retry: false, text: 'the SigMF dataset holds no whole sample' },
  FIL_NO_DATA: { status: 400, retry: false, text: 'the filterbank file is a header with no data' },
  // The CLI's own, when a request gets no usable answer (never sent by a coordinator).
  BAD_URL: { status: 400, retry: false, text: 'the coordinator address is not an http(s) URL' },
  UNREACHABLE: { status: 502, retry: true, text: 'the coordinator cannot be reached' },
  TIMEOUT: { status: 504, retry: true, text: 'the coordinator did not answer in time' },
  BAD_RESPONSE: { status: 502, retry: false, text: 'the answer is not an idlegrid coordinator\'s' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface WireError {
  code: ErrorCode;
  message: string;
}

/** An error as a value: the code names the class, the message says what to do about this instance. */
export function wireError(code: ErrorCode, detail?: string): WireError {
  return { code, message: detail ? `${ERRORS[code].text}: ${detail}` : ERRORS[code].text };
}

/** A thrown form for code paths that must unwind (HTTP handlers); always carries a registered code. */
export class IdlegridError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, detail?: string) {
    super(wireError(code, detail).message);
    this.name = 'IdlegridError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
  }
  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}
