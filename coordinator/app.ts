/**
 * buildApp: the coordinator as a fastify instance with its services, separate from listen() so that
 * tests can run it in memory. Background loops (transitioner, assembler, event bus) start here and stop
 * in close(), which also closes sockets and Redis connections.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { pino, type Logger } from 'pino';
import { ERRORS, IdlegridError, MAX_FRAME_BYTES, wireError } from '../protocol/index.js';
import { AccountStore } from './accounts.js';
import { Assembler } from './assembler.js';
import { Connection } from './connection.js';
import { Dispatcher } from './dispatch.js';
import { EventBus } from './events.js';
import { HistorySampler } from './history.js';
import { FileInputStore } from './inputs/file-store.js';
import { JobLifecycle } from './job-lifecycle.js';
import { JobStore } from './job-store.js';
import { Metrics } from './metrics.js';
import { resolveCoordinatorOptions, type CoordinatorOptions, type CoordinatorOptionsInput } from './options.js';
import { HostRegistry } from './registry.js';
import { accountRoutes } from './routes/accounts.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { dataRoutes } from './routes/data.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { pictureRoutes } from './routes/pictures.js';
import { tokenRoutes } from './routes/tokens.js';
import { registerSecurity } from './security.js';
import type { Services } from './services.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';
import { Transitioner } from './transitioner.js';
import { Validator } from './validator.js';

export interface Coordinator {
  app: FastifyInstance;
  log: Logger;
  services: Services;
  options: CoordinatorOptions;
  close(): Promise<void>;
}

export async function buildApp(input: CoordinatorOptionsInput, logger?: Logger): Promise<Coordinator> {
  const options = resolveCoordinatorOptions(input);
  const log = logger ?? pino({ level: options.logLevel });
  // Per-request lines would drown the log at grid scale: fastify's own logger says only warnings and up.
  const httpLog = log.child({ coordinator: options.coordinatorId }, { level: log.levelVal < 40 ? 'warn' : log.level });
  const app = Fastify({ loggerInstance: httpLog, bodyLimit: 1 << 20, trustProxy: options.trustProxy }) as unknown as FastifyInstance;

  const redis = connectStore(options.redisUrl);
  const blocking = connectStore(options.redisUrl, { blocking: true });
  const keys = new Keys(options.prefix);
  const inputs = new FileInputStore(options.dataDir);
  const jobs = new JobStore(redis, keys, options, inputs);
  const bus = await EventBus.start(redis, keys.key('events'));
  const lifecycle = new JobLifecycle(redis, keys, bus, log);
  const assembler = new Assembler(redis, blocking, keys, jobs, lifecycle, log);
  const metrics = new Metrics(redis, keys);
  const registry = new HostRegistry();
  // A validation that settles a job wakes the assembler at once rather than at the next transitioner tick.
  const validator = new Validator(redis, keys, jobs, () => void assembler.drainSettled().catch(() => {}), log,
    (jobId, unit, now) => metrics.unitValidated(jobId, unit, now),
    // Hosts connected here hear of their credit at once; the others through their own coordinator.
    (items) => {
      registry.deliver({ type: 'credit', items });
      const elsewhere = items.filter((i) => !registry.has(i.hostId));
      if (elsewhere.length) void bus.publish({ type: 'credit', items: elsewhere }).catch(() => {});
    });
  const services: Services = {
    options, redis, keys, jobs, inputs, bus, assembler, lifecycle, validator, registry, log,
    accounts: new AccountStore(redis, keys),
    dispatcher: new Dispatcher(redis, keys, jobs),
    metrics,
    progress: new Map(),
  };
  bus.on('event', (e) => registry.deliver(e));
  const transitioner = new Transitioner(redis, keys, validator, assembler, options.sweepMs, log);

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof IdlegridError) return reply.code(err.statusCode).send({ error: err.toWire() });
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode && e.statusCode < 500) {
      const code = e.statusCode === 413 ? 'FRAME_TOO_LARGE' : e.statusCode === 404 ? 'NOT_FOUND' : 'BAD_REQUEST';
      return reply.code(e.statusCode).send({ error: wireError(code, e.message) });
    }
    if (e.message?.includes('ECONNREFUSED') || e.message?.includes('Connection is closed')) {
      return reply.code(ERRORS.STORE_UNAVAILABLE.status).send({ error: wireError('STORE_UNAVAILABLE') });
    }
    log.error({ err }, 'request failed');
    return reply.code(500).send({ error: wireError('INTERNAL') });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: wireError('NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`) }));

  // Security plugins (helmet, rate limits, auth hooks) register here, before any route.
  const security = await registerSecurity(app, services, log);

  // The transport cap sits above the protocol's: frames in between get a coded FRAME_TOO_LARGE error,
  // only absurd ones are cut off by ws itself (close 1009).
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES * 4 } });
  // Connection caps act before the upgrade; the HTTP rate limit does not count long-lived sockets.
  app.get('/ws', { websocket: true, preValidation: security.wsGate, config: { rateLimit: false } }, (socket) => {
    new Connection(socket, services, log);
  });
  healthRoutes(app, services);
  jobRoutes(app, services);
  dataRoutes(app, services);
  accountRoutes(app, services);
  tokenRoutes(app, services, security.tokens);
  // Pictures of answers (waterfall plots) register here.
  pictureRoutes(app, services);
  // Dashboard and its data routes register here.
  await dashboardRoutes(app, services);
  const sampler = new HistorySampler(redis, keys, (err) => log.warn({ err: err.message }, 'history sample failed; retrying next interval'));

  assembler.start();
  transitioner.start();
  sampler.start();

  let closed = false;
  return {
    app,
    log,
    services,
    options,
    async close() {
      if (closed) return;
      closed = true;
      transitioner.stop();
      sampler.stop();
      registry.closeAll();
      await app.close();
      await assembler.close();
      await bus.close();
      redis.disconnect();
      blocking.disconnect();
    },
  };
}
