/**
 * Every error that crosses a socket, a thread or the HTTP API travels as `{ code, message }`. Codes live
 * here, once, and are never reused for another meaning; the wire schemas accept only these codes
 * (`ErrorCodeSchema`). `retry` says whether the same request may succeed later (a host that vanished) or
 * never will (bad input): the two are kept apart everywhere. Kinds' codes are registered here too, so that
 * a recording's or a parameter's own code (FFTSCAN_DATATYPE, SAH_DATA, ...) reaches the user unchanged.
 */
import { z } from 'zod';

interface ErrorInfo {
  readonly status: number;
  readonly retry: boolean;
  readonly text: string;
}

/** The coordinator's, the worker's and the protocol's own codes. */
const SERVICE = {
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
  UNKNOWN_KIND: { status: 400, retry: false, text: 'unknown job kind' },
  BAD_PARAMS: { status: 400, retry: false, text: 'job parameters are invalid' },
  BAD_REQUEST: { status: 400, retry: false, text: 'request is invalid' },
  NOT_FOUND: { status: 404, retry: false, text: 'no such resource' },
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
  URL_TOO_LONG: { status: 414, retry: false, text: 'the URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retry: false, text: 'the request body has a content type this endpoint does not take' },
  HEADERS_TOO_LARGE: { status: 431, retry: false, text: 'the request headers are too large' },
} as const satisfies Record<string, ErrorInfo>;

/** Codes the job kinds raise: bad parameters and recordings (at submission) and bad unit inputs (on hosts). */
const KIND = {
  FFTSCAN_DATATYPE: { status: 400, retry: false, text: 'the recording\'s sample datatype is not supported' },
  FFTSCAN_CHANNEL: { status: 400, retry: false, text: 'the requested channel is not in the recording' },
  FFTSCAN_TOO_MANY_UNITS: { status: 400, retry: false, text: 'the scan would need too many units' },
  FFTSCAN_TOO_SHORT: { status: 400, retry: false, text: 'the recording is shorter than the analysis needs' },
  FFTSCAN_INPUT: { status: 422, retry: false, text: 'the unit\'s input does not hold what the unit needs' },
  SAH_HEADER: { status: 400, retry: false, text: 'the .sah work unit\'s header is missing a field or has a bad value' },
  SAH_DATA: { status: 400, retry: false, text: 'the .sah work unit\'s data is missing or shorter than its header says' },
  SIGMF_BAD_JSON: { status: 400, retry: false, text: 'the SigMF metadata is not valid' },
  SIGMF_MISSING_FIELD: { status: 400, retry: false, text: 'the SigMF metadata lacks a required field' },
  SIGMF_UNSUPPORTED_DATATYPE: { status: 400, retry: false, text: 'the SigMF datatype is not supported' },
  SIGMF_BAD_DATA: { status: 400, retry: false, text: 'the SigMF data file does not match its metadata' },
  FIL_NOT_FILTERBANK: { status: 400, retry: false, text: 'the file is not a SIGPROC filterbank' },
  FIL_TRUNCATED: { status: 400, retry: false, text: 'the filterbank file is truncated' },
  FIL_BAD_HEADER: { status: 400, retry: false, text: 'the filterbank header is invalid' },
  FIL_UNSUPPORTED: { status: 400, retry: false, text: 'the filterbank layout is not supported' },
  FIL_BAD_RANGE: { status: 400, retry: false, text: 'the requested spectra or IF are not in the filterbank' },
} as const satisfies Record<string, ErrorInfo>;

export const ERRORS = { ...SERVICE, ...KIND } as const;


export type ErrorCode = keyof typeof ERRORS;

/**
 * The CLI's own codes, for a request that got no usable answer. They never travel (a coordinator cannot
 * send them), so they are kept out of ERRORS and the wire schemas; they are listed here so that every
 * code a user can see has one home.
 */
export const CLIENT_ERRORS = {
  BAD_URL: { status: 400, retry: false, text: 'the coordinator address is not an http(s) URL' },
  UNREACHABLE: { status: 502, retry: true, text: 'the coordinator cannot be reached' },
  TIMEOUT: { status: 504, retry: true, text: 'the coordinator did not answer in time' },
  BAD_RESPONSE: { status: 502, retry: false, text: 'the answer is not an idlegrid coordinator\'s' },
} as const satisfies Record<string, ErrorInfo>;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

/** The wire form of a code: only registered codes travel. */
export const ErrorCodeSchema = z.enum(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}

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
