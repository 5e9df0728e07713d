/**
 * Every HTTP failure leaves in the documented shape, `{"error": {"code", "message"}}` with a registered
 * code: our own errors, fastify's (bad JSON, wrong content type, body too large, a path parameter too
 * long) and those Node's HTTP parser raises before any route runs (headers too large, a malformed request).
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { ERRORS, IdlegridError, wireError, type ErrorCode, type WireError } from '../protocol/index.js';

const send = (reply: FastifyReply, status: number, error: WireError) => reply.code(status).send({ error });

/** What a framework error with this HTTP status means to a user. */
function frameworkError(status: number, message: string): { code: ErrorCode; detail: string } {
  switch (status) {
    case 404:
      return { code: 'NOT_FOUND', detail: message };
    case 413:
      return { code: 'FRAME_TOO_LARGE', detail: message };
    case 414:
      return { code: 'URL_TOO_LONG', detail: 'a path part is longer than any id or name this API takes' };
    case 415:
      return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: `${message}; send JSON with content-type: application/json (uploads to POST /api/data take application/octet-stream)` };
    default:
      return { code: 'BAD_REQUEST', detail: message };
  }
}

/** fastify's error handler: our IdlegridErrors as they are, the framework's translated, Redis outages as 503. */
export function errorHandler(redis: Redis, log: Logger) {
  return (err: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof IdlegridError) return send(reply, err.statusCode, err.toWire());
    const status = (err as FastifyError).statusCode;
    if (status && status < 500) {
      const { code, detail } = frameworkError(status, err.message);
      return send(reply, status, wireError(code, detail));
    }
    // Judged by the client's state, not the error's text: whatever ioredis threw, no store means 503.
    if (redis.status !== 'ready') return send(reply, ERRORS.STORE_UNAVAILABLE.status, wireError('STORE_UNAVAILABLE'));
    log.error({ err }, 'request failed');
    return send(reply, 500, wireError('INTERNAL'));
  };
}

/** fastify's frameworkErrors option: failures of routing itself (a bad URL, a path parameter too long). */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 400;
  const { code, detail } = frameworkError(status, err.message);
  void send(reply, status, wireError(code, detail));
}

/** Node's clientError: the request could not even be parsed, so answer on the raw socket, then close it. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text, code, detail]: [number, string, ErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'more than 16 KiB of headers; send fewer or smaller ones']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'SLOW_CLIENT', 'the request took too long to arrive']
        : [400, 'Bad Request', 'BAD_REQUEST', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: wireError(code, detail) });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
