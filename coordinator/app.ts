/**
 * buildApp: the coordinator as a fastify instance with its services, separate from listen() so that
 * tests can run it in memory. Background loops (transitioner, assembler, event bus) start here and stop
 * in close(), which also closes sockets and Redis connections.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { pino, type Logger } from 'pino';
import { IdlegridError, MAX_FRAME_BYTES, wireError } from '../protocol/index.js';
import { AccountStore } from './accounts.js';
import { Assembler } from './assembler.js';
import { CreditLedger } from './credit-ledger.js';
import { Connection } from './connection.js';
import { clientErrorHandler, errorHandler, frameworkErrors } from './http-errors.js';
import { Dispatcher } from './dispatch.js';
import { EventBus } from './events.js';
import { HistorySampler } from './history.js';
import { RecordingCatalog } from './inputs/catalog.js';
import { RecordingCollector } from './inputs/collector.js';
import { FileBlobs } from './inputs/file-blobs.js';
import { CHUNK_BYTES, RedisBlobs } from './inputs/redis-blobs.js';
import { RecordingStore } from './inputs/recording-store.js';
import { JobLifecycle } from './job-lifecycle.js';
import { JobStore } from './job-store.js';
import { Metrics } from './metrics.js';
import { resolveCoordinatorOptions, type CoordinatorOptions, type CoordinatorOptionsInput } from './options.js';
import { classifyAddress } from './network.js';
import { HostPresence } from './presence.js';
import { HostRegistry } from './registry.js';
import { accountRoutes } from './routes/accounts.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { dataRoutes } from './routes/data.js';
import { downloadRoutes } from './routes/download.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { joinRoutes } from './routes/join.js';
import { pictureRoutes } from './routes/pictures.js';
import { tokenRoutes } from './routes/tokens.js';
import { registerSecurity } from './security.js';
import type { Services } from './services.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';
import { ReplicaAck } from './store/replica-ack.js';
import { atMost, checkTopology, checkVersion, clusterReplicasOf, redactRedisUrl, untilReady } from './store/ready.js';
import type { StoreRedis } from './store/scripts.js';
import { ADMIN_TOKEN_ENV, resolveAdminToken, type AdminToken } from './auth.js';
import { parseLeaseId } from '../protocol/index.js';
import { ReportQueue } from './report-queue.js';
import { replicaField } from './store/unit-layout.js';
import { Transitioner } from './transitioner.js';
import { ValidationQueue } from './validation-queue.js';
import { Validator, type JudgedResult } from './validator.js';
import { Verifier } from './verifier.js';

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
  const app = Fastify({ loggerInstance: httpLog, bodyLimit: 1 << 20, trustProxy: options.trustProxy, frameworkErrors, clientErrorHandler }) as unknown as FastifyInstance;

  // Checked before anything is opened, so a bad token stops the start with nothing to clean up.
  const admin = resolveAdminToken(process.env[ADMIN_TOKEN_ENV]);

  const redis = connectStore(options.redisUrl);
  // BullMQ's worker blocks on its connection: the assembler has one (audits are claimed, audit-queue.ts).
  const blocking = connectStore(options.redisUrl, { blocking: true });
  // Recordings' bytes travel on a connection of their own, so a 1 MiB chunk never queues ahead of a lease.
  const bulk = connectStore(options.redisUrl);
  // WAIT blocks its connection: the replica acknowledgements get one too (store/replica-ack.ts).
  const acks = options.redisWaitReplicas > 0 || options.redisWaitReplicasAuto ? connectStore(options.redisUrl) : null;
  const clients = [redis, blocking, bulk, ...(acks ? [acks] : [])];
  const opened: Array<() => Promise<unknown> | void> = clients.map((c) => () => c.disconnect());
  try {
    log.info(`connecting to Redis at ${redactRedisUrl(options.redisUrl)} (waiting up to ${options.redisTimeoutS} s)`);
    await untilReady(clients, options.redisTimeoutS * 1000, options.redisUrl);
    await checkTopology(redis, options.redisUrl);
    await checkVersion(redis, options.redisUrl);
    // A cluster with replicas is waited for as Sentinel is; one without has nothing to wait for.
    const resolved = options.redisWaitReplicasAuto
      ? { ...options, redisWaitReplicas: (await clusterReplicasOf(redis, Keys.forStore(options.prefix, options.redisUrl).prefix)) > 0 ? 1 : 0 }
      : options;
    if (acks && resolved.redisWaitReplicas === 0) acks.disconnect();
    return await buildWithStore(resolved, log, app, admin, { redis, blocking, bulk, acks: resolved.redisWaitReplicas > 0 ? acks : null }, opened);
  } catch (err) {
    for (const close of opened.reverse()) await atMost(Promise.resolve(close()), 2_000);
    throw err;
  }
}

/** The rest of the coordinator, once its store answers: services, routes and background loops. */
async function buildWithStore(
  options: CoordinatorOptions,
  log: Logger,
  app: FastifyInstance,
  admin: AdminToken,
  clients: { redis: StoreRedis; blocking: StoreRedis; bulk: StoreRedis; acks: StoreRedis | null },
  opened: Array<() => Promise<unknown> | void>,
): Promise<Coordinator> {
  const { redis, blocking, bulk } = clients;
  const keys = Keys.forStore(options.prefix, options.redisUrl);
  const ack = new ReplicaAck(clients.acks, keys.key('ackMark'), options.redisWaitReplicas, options.redisWaitTimeoutMs, log);
  const catalog = new RecordingCatalog(bulk, keys);
  const inputs = new RecordingStore(catalog, options.dataDir ? new FileBlobs(options.dataDir) : new RedisBlobs(bulk, keys, CHUNK_BYTES, ack), log);
  const collector = new RecordingCollector(inputs, bulk, keys, options.recordingGraceS * 1000, log);
  const jobs = new JobStore(redis, keys, options, inputs);
  const bus = await EventBus.start(redis, keys.key('events'));
  opened.push(() => bus.close());
  const lifecycle = new JobLifecycle(redis, keys, bus, log);
  const credit = new CreditLedger(redis, keys, log);
  opened.push(() => credit.close());
  const assembler = new Assembler(redis, blocking, keys, jobs, lifecycle, credit, log);
  opened.push(() => assembler.close());
  const metrics = new Metrics(redis, keys, catalog);
  const registry = new HostRegistry();
  // The validator asks the verifier for audits; the verifier's findings go to the validation queue.
  const verifier = new Verifier(redis, keys, jobs, inputs, options.verifierThreads, log, (jobId, unit, found) => {
    metrics.audited(found.finding, found.opsDone);
    // Decided with the other units of the validation queue's next round: one validate.lua call for many
    // audited units rather than one each (what is lost here stays in `validate` for the transitioner).
    void validation.add([{ jobId, unit }]);
  });
  opened.push(() => verifier.close());
  const validator = new Validator(redis, keys, jobs, {
    // A validation that settles a job wakes the assembler at once rather than at the next transitioner tick.
    settled: () => void assembler.drainSettled().catch(() => {}),
    audit: (audits) => verifier.request(audits),
    valid: (jobId, unit, now) => metrics.unitValidated(jobId, unit, now),
    // Hosts connected here hear of their credit at once; the others through their own coordinator.
    judged: (items) => announceCredit(items),
  }, log);
  const validation = new ValidationQueue((units) => validator.validateMany(units), log);
  metrics.watchValidationQueue(() => validation.size);
  metrics.watchVerifier(() => verifier.load);
  const deliverCredit = (items: JudgedResult[]) => {
    if (!items.length) return;
    registry.deliver({ type: 'credit', items });
    const elsewhere = items.filter((i) => !registry.has(i.hostId));
    if (elsewhere.length) void bus.publish({ type: 'credit', items: elsewhere }).catch(() => {});
  };
  // Once the grants are in the totals (credit-ledger.ts), so that a host's dashboard already shows what it
  // is told. With --redis-wait-replicas, only once replicas hold the grants, and only those still there
  // after the wait: a host is never told of credit that a failover took back.
  const announceCredit = (judged: JudgedResult[]) => {
    if (!judged.length) return;
    void credit.applied().then(() => ack.enabled ? ack.confirm(judged.map((i) => {
      const { jobId, unit, replica } = parseLeaseId(i.leaseId);
      return { key: keys.key('unit', { job: jobId, unit }), field: replicaField('outcome', replica) };
    })) : judged.map(() => true)).then((kept) => deliverCredit(judged.filter((_, k) => kept[k])))
      .catch((err: Error) => log.warn({ err: err.message }, 'credit not announced: the store or the replica wait failed (the grants stand)'));
  };
  const reports = new ReportQueue(redis, keys);
  const dispatcher = new Dispatcher(redis, keys, jobs, options);
  metrics.watchStoreCalls(() => reports, () => dispatcher);
  const services: Services = {
    options, redis, keys, jobs, inputs, bus, assembler, lifecycle, validator, validation, verifier, registry, log, ack, credit,
    accounts: new AccountStore(redis, keys),
    dispatcher,
    presence: new HostPresence(redis, keys, options, bus, log),
    reports,
    metrics,
    progress: new Map(),
  };
  bus.on('event', (e) => registry.deliver(e));
  const transitioner = new Transitioner(redis, keys, validator, assembler, services.presence, credit, options.sweepMs, log);

  app.setErrorHandler(errorHandler(redis, log));
  // The API speaks JSON (and uploads, octet-stream, in their own route): a text body is a mistake, and gets
  // a 415 that says what to send rather than a schema error about a string.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: wireError('NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`) }));

  // An API call while Redis is away gets a prompt 503 (retry later) instead of waiting in ioredis' queue;
  // health probes, metrics and the page itself still answer.
  app.addHook('onRequest', async (req) => {
    if (redis.status !== 'ready' && req.url.startsWith('/api/')) throw new IdlegridError('STORE_UNAVAILABLE', 'retry in a few seconds');
  });

  // Security plugins (helmet, rate limits, auth hooks) register here, before any route.
  const security = await registerSecurity(app, services, log, admin);

  // The transport cap sits above the protocol's: frames in between get a coded FRAME_TOO_LARGE error,
  // only absurd ones are cut off by ws itself (close 1009).
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES * 4 } });
  // Connection caps act before the upgrade; the HTTP rate limit does not count long-lived sockets.
  app.get('/ws', { websocket: true, preValidation: security.wsGate, config: { rateLimit: false } }, (socket, req) => {
    // req.ip is the socket's address, or behind --trust-proxy the client's as the proxy reports it.
    new Connection(socket, services, log, classifyAddress(req.ip));
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
  joinRoutes(app);
  downloadRoutes(app);
  const sampler = new HistorySampler(redis, keys, (err) => log.warn({ err: err.message }, 'history sample failed; retrying next interval'));

  assembler.start();
  verifier.start();
  transitioner.start();
  sampler.start();
  collector.start();

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
      collector.stop();
      registry.closeAll();
      // Each step is bounded: with Redis gone, BullMQ and ioredis would wait for it for ever.
      await atMost(app.close(), 3_000);
      await atMost(services.presence.flush(), 1_000);
      // Units still queued are in Redis' `validate` set: whichever coordinator runs next validates them.
      await atMost(validation.idle(), 3_000);
      validation.close();
      // What this coordinator's validations granted goes into the totals now rather than at another's next tick.
      await atMost(credit.flush(), 1_000);
      credit.close();
      await atMost(assembler.close(), 3_000);
      await atMost(verifier.close(), 3_000);
      await atMost(bus.close(), 1_000);
      for (const c of [redis, blocking, bulk]) c.disconnect();
      ack.close();
    },
  };
}
