/**
 * The coordinator's guards against hostile HTTP and WebSocket clients, registered before any route:
 * server timeouts for slow clients, security headers (helmet), per-IP rate limits, the auth hook that
 * sets `req.principal`, and the WebSocket admission gate (per-IP and total connection caps). CORS stays
 * closed by registering nothing: no response carries Access-Control-Allow-* headers, so browsers on
 * other origins cannot read the API. docs/security.md explains each choice.
 */
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { IdlegridError, wireError } from '../protocol/index.js';
import { ADMIN_TOKEN_ENV, TokenStore, ANONYMOUS, type AdminToken } from './auth.js';
import type { Services } from './services.js';

export const LIMITS = {
  /** Requests per IP per minute across the API; single routes may set lower ones. */
  httpPerMinute: 3_000,
  /** Headers must arrive within this (slowloris); a socket idle this long in either direction is cut. */
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  /** A JSON body (at most 1 MiB: ~9 s at 1 Mbit/s) must arrive within this; uploads are bounded by the idle timeout instead. */
  bodyDeadlineMs: 15_000,
  /** Open TCP connections to the whole server: above the WebSocket cap, so that cap answers with a code. */
  maxConnections: 30_000,
  /** Open WebSocket connections per client address, and in all. Hosts behind one NAT share the first. */
  wsPerIp: 256,
  wsTotal: 20_000,
} as const;

export interface Security {
  tokens: TokenStore;
  /** preValidation hook of the /ws route: refuses the upgrade with a coded 429 when a cap is reached. */
  wsGate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export async function registerSecurity(app: FastifyInstance, svc: Services, log: Logger, admin: AdminToken): Promise<Security> {
  applyTimeouts(app);

  await app.register(helmet, {
    // The dashboard is served from this origin: scripts, styles and its SSE/fetch calls stay same-origin.
    // Not helmet's default set: its upgrade-insecure-requests would break the dashboard on plain
    // http://127.0.0.1, where a coordinator runs until a TLS proxy is put in front.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // 'wasm-unsafe-eval' lets same-origin scripts compile WebAssembly (the /join page's kernels) and
        // nothing more: no eval of JavaScript.
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });

  await app.register(rateLimit, {
    global: true,
    max: LIMITS.httpPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctx) =>
      new IdlegridError('RATE_LIMITED', `more than ${ctx.max} requests in ${Math.round(ctx.ttl / 1000) || 60} s from this address; retry in ${ctx.after}`),
  });

  if (admin.generated) {
    // Printed once so that a fresh coordinator can be administered at all; set the variable to keep one.
    log.warn(`no ${ADMIN_TOKEN_ENV} set: generated admin token ${admin.token} (valid until this coordinator stops; set ${ADMIN_TOKEN_ENV} to choose one)`);
  }
  const tokens = new TokenStore(svc.redis, svc.keys, admin.token);
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (req) => {
    // Anonymous first, so that the error reply to a refused token is built for an anonymous caller.
    req.principal = ANONYMOUS;
    req.principal = await tokens.authenticate(req);
  });

  // Before any route's schema sees the body: see poisonedKey.
  app.addHook('preValidation', async (req) => {
    const key = poisonedKey(req.body) ?? poisonedKey(req.query);
    if (key) throw new IdlegridError('BAD_REQUEST', `"${key}" is not allowed as a field name`);
  });

  return { tokens, wsGate: wsGate() };
}

/**
 * A JSON object with its own `toString` or `valueOf` makes any code that turns it into a string or a
 * number throw, and zod 4 does that in its length checks on hostile values (`{"length": {"toString": 1}}`
 * where a string was expected): the request would end as a 500 instead of a 400. No schema of ours has
 * such fields, so they are refused up front. Iterative, so deep nesting cannot overflow the stack.
 */
export function poisonedKey(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || typeof (value as { pipe?: unknown }).pipe === 'function') return null;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    for (const k of Object.keys(v)) {
      if (k === 'toString' || k === 'valueOf') return k;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return null;
}

function applyTimeouts(app: FastifyInstance): void {
  const server = app.server;
  server.headersTimeout = LIMITS.headersTimeoutMs;
  // Node's whole-request timeout would cut long uploads: the idle timeout and the body deadline below
  // bound slow senders instead. Upgraded WebSockets leave the idle timeout behind (they have heartbeats).
  server.requestTimeout = 0;
  server.timeout = LIMITS.idleTimeoutMs;
  server.maxConnections = LIMITS.maxConnections;

  const deadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  const clear = async (req: FastifyRequest) => {
    clearTimeout(deadlines.get(req));
    deadlines.delete(req);
  };
  app.addHook('onRequest', async (req) => {
    // Server-sent events are idle between events by design.
    if (req.headers.accept?.includes('text/event-stream')) req.raw.socket?.setTimeout(0);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || req.headers['content-type'] === 'application/octet-stream') return;
    const t = setTimeout(() => {
      req.log.warn({ ip: req.ip, url: req.url, code: 'SLOW_CLIENT' }, `request body not received within ${LIMITS.bodyDeadlineMs} ms; connection closed`);
      req.raw.destroy();
    }, LIMITS.bodyDeadlineMs);
    t.unref();
    deadlines.set(req, t);
  });
  app.addHook('preHandler', clear);
  app.addHook('onResponse', clear);
  app.addHook('onRequestAbort', clear);
}

function wsGate(): Security['wsGate'] {
  const byIp = new Map<string, number>();
  let total = 0;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const ip = req.ip;
    const mine = byIp.get(ip) ?? 0;
    if (total >= LIMITS.wsTotal || mine >= LIMITS.wsPerIp) {
      const which = mine >= LIMITS.wsPerIp ? `${mine} open from ${ip} (limit ${LIMITS.wsPerIp})` : `${total} open (limit ${LIMITS.wsTotal})`;
      reply.header('retry-after', '30');
      return reply.code(429).send({ error: wireError('TOO_MANY_CONNECTIONS', which) });
    }
    // Counted from admission to the TCP close, whatever happens to the upgrade in between.
    total++;
    byIp.set(ip, mine + 1);
    req.raw.socket.once('close', () => {
      total--;
      const n = (byIp.get(ip) ?? 1) - 1;
      if (n > 0) byIp.set(ip, n);
      else byIp.delete(ip);
    });
  };
}
