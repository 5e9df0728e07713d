/**
 * One worker's WebSocket session. Every frame is size-checked, parsed as JSON and then by its zod schema
 * before anything else looks at it; whatever is wrong gets a coded error message and never reaches the
 * store. The connection must start with hello; nothing else is accepted before it, and hello only once.
 * Every message after hello is a sign of life (presence.ts); the client's address decides the network
 * its replicas are kept apart by and the ration its new host ids count against (network.ts).
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import {
  MAX_BATCH,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  WorkerMessage,
  ErrorCodeSchema,
  describeIssues,
  parseLeaseId,
  wireError,
  type CoordinatorMessage,
  type ErrorCode,
  type WireError,
} from '../protocol/index.js';
import { getKind } from '../workunits/index.js';
import { replicaField } from './store/unit-layout.js';
import type { ClientAddress } from './network.js';
import type { Services } from './services.js';
import { matchesHash, sha256Hex } from './secret-hash.js';
import type { QuotaDetail } from './dispatch.js';

/** Token bucket per connection: a misbehaving client is slowed, then dropped; others are unaffected. */
const RATE_PER_S = 200;
const BURST = 400;
const MAX_STRIKES = 50;
/** A socket that has not said hello by then is closed: it would hold a connection slot for nothing. */
export const HELLO_TIMEOUT_MS = 10_000;
/** Replies queued to a client that does not read them; past this it is dropped (memory stays bounded). */
export const MAX_BUFFERED_BYTES = 8 << 20;

type HelloMsg = Extract<WorkerMessage, { type: 'hello' }>;

/** One item of a report batch: its lease, and its arguments to report.lua. */
interface StoreRow {
  lease: { jobId: string; unit: number; replica: number };
  args: Array<string | number>;
}

/** report.lua's statuses for an item it stored: 'check' when the unit is ready to validate. */
const isStored = (status: string): boolean => status === 'ok' || status === 'check';

export class Connection {
  hostId: string | null = null;
  /** This connection's name in the host's record: a close only affects the host while it still speaks for it. */
  private readonly link: string;
  private accountId = '';
  private threads = 1;
  private kinds: string[] = [];
  private tokens = BURST;
  private lastRefill = Date.now();
  private strikes = 0;
  private lastSeenWrite = 0;
  private stateWritten: string | undefined;
  /** Serialises this connection's messages so results are reported in the order they were sent. */
  private queue: Promise<void> = Promise.resolve();
  private readonly helloTimer: NodeJS.Timeout;
  /** Leases this connection has progress entries for, dropped with it so the map stays bounded. */
  private readonly progressIds = new Set<string>();

  constructor(private readonly ws: WebSocket, private readonly svc: Services, private readonly log: Logger, private readonly address: ClientAddress) {
    this.link = `${svc.options.coordinatorId}/${randomBytes(6).toString('hex')}`;
    this.helloTimer = setTimeout(() => {
      this.send({ type: 'error', ...wireError('SLOW_CLIENT', `no hello within ${HELLO_TIMEOUT_MS / 1000} s`) });
      this.close(4008, 'no hello');
    }, HELLO_TIMEOUT_MS);
    this.helloTimer.unref();
    ws.on('message', (data, isBinary) => {
      this.queue = this.queue.then(() => this.onFrame(data as Buffer, isBinary)).catch((err) => this.internal(err));
    });
    ws.on('close', () => {
      clearTimeout(this.helloTimer);
      for (const id of this.progressIds) svc.progress.delete(id);
      if (!this.hostId) return;
      svc.registry.remove(this.hostId, this);
      svc.presence.gone(this.hostId, this.link).catch((err) => log.debug({ err: (err as Error).message, hostId: this.hostId }, 'could not record a disconnect; the host counts as silent instead'));
    });
    ws.on('error', () => {});
  }

  send(msg: CoordinatorMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason.slice(0, 120));
  }

  private fail(code: ErrorCode, detail?: string, ref?: string): void {
    this.send({ type: 'error', ...wireError(code, detail), ...(ref ? { ref } : {}) });
    if (++this.strikes > MAX_STRIKES) this.close(4008, 'too many bad messages');
  }

  /** `ref`, the type of the message that failed, tells a client which one to send again (a Redis failover fails the one in hand; docs/protocol.md). */
  private internal(err: unknown, ref?: string): void {
    this.log.error({ err, ref }, 'error handling a worker message');
    this.send({ type: 'error', ...wireError('INTERNAL', 'the coordinator could not handle that message; retry later'), ...(ref ? { ref } : {}) });
  }

  private allow(): boolean {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.lastRefill) / 1000) * RATE_PER_S);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private async onFrame(data: Buffer, isBinary: boolean): Promise<void> {
    if (!this.allow()) return this.fail('RATE_LIMITED', `more than ${RATE_PER_S} messages/s`);
    if (isBinary) return this.fail('NOT_JSON', 'binary frames are not part of the protocol');
    if (data.length > MAX_FRAME_BYTES) return this.fail('FRAME_TOO_LARGE', `${data.length} bytes > ${MAX_FRAME_BYTES}`);
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString('utf8'));
    } catch {
      return this.fail('NOT_JSON');
    }
    let parsed: ReturnType<typeof WorkerMessage.safeParse>;
    try {
      parsed = WorkerMessage.safeParse(raw);
    } catch {
      // zod 4 throws instead of failing on some hostile values (an object whose `length` cannot be
      // compared); that is still a message that does not match its schema, not our internal error.
      return this.fail('BAD_MESSAGE', 'a field holds a value no schema accepts');
    }
    const ref = typeof (raw as { type?: unknown })?.type === 'string' ? String((raw as { type: string }).type).slice(0, 32) : undefined;
    if (!parsed.success) return this.fail('BAD_MESSAGE', describeIssues(parsed.error), ref);
    const msg = parsed.data;
    return this.handle(msg).catch((err) => this.internal(err, msg.type));
  }

  /** One well-formed message, in its connection's order. */
  private async handle(msg: WorkerMessage): Promise<void> {
    if (msg.type === 'hello') {
      if (this.hostId) return this.fail('OUT_OF_ORDER', 'hello was already received', 'hello');
      return this.hello(msg);
    }
    if (!this.hostId) return this.fail('OUT_OF_ORDER', `"${msg.type}" before hello`, msg.type);
    const hostId = this.hostId;
    if (msg.type !== 'heartbeat') this.alive(hostId);
    switch (msg.type) {
      case 'request':
        return this.request(hostId, msg.count, msg.reqId);
      case 'results':
        return this.report(hostId, msg.items.map((i) => ({ leaseId: i.leaseId, what: 'R' as const, payload: i.result, cpuS: i.cpuS })));
      case 'failures':
        return this.report(hostId, msg.items.map((i) => ({ leaseId: i.leaseId, what: 'E' as const, payload: { code: i.code, message: i.message } satisfies WireError, cpuS: 0 })));
      case 'progress': {
        // Only for leases this host holds (made-up ids must not grow the map), and only while the socket
        // is open: entries are dropped on close, and a frame handled after that would outlive it.
        const held = await this.svc.redis.smismember(this.svc.keys.key('hostLeases', { host: hostId }), ...msg.items.map((i) => i.leaseId));
        msg.items.forEach((item, i) => {
          if (!held[i] || this.ws.readyState !== this.ws.OPEN) return;
          this.svc.progress.set(item.leaseId, item);
          this.progressIds.add(item.leaseId);
        });
        return;
      }
      case 'release':
        for (const id of msg.leaseIds) this.svc.progress.delete(id);
        await this.svc.redis.ig_release(this.svc.keys.prefix, hostId, ...msg.leaseIds);
        return;
      case 'heartbeat':
        this.send({ type: 'heartbeat_ack', seq: msg.seq, sentAt: msg.sentAt, serverTime: Date.now() });
        return this.alive(hostId, msg.state ?? '');
      case 'bye':
        this.close(1000, 'bye');
        return;
    }
  }

  private async hello(msg: HelloMsg): Promise<void> {
    if (msg.protocol !== PROTOCOL_VERSION) {
      this.fail('PROTOCOL_VERSION', `worker speaks ${msg.protocol}, coordinator ${PROTOCOL_VERSION}`, 'hello');
      return this.close(4002, 'protocol version mismatch');
    }
    const { redis, keys } = this.svc;
    const hk = keys.key('host', { host: msg.hostId });
    if (!(await redis.exists(hk))) {
      const admission = await this.svc.presence.admitNewHost(this.address);
      if (!admission.ok) {
        const wait = admission.retryInS >= 120 ? `${Math.ceil(admission.retryInS / 60)} min` : `${admission.retryInS} s`;
        this.fail('RATE_LIMITED', `more than ${admission.limit} new host ids said hello from this address in an hour; a worker keeps its id in host.json, so reuse that file, or retry in ${wait}`, 'hello');
        return this.close(4008, 'too many new host ids from this address');
      }
    }
    const stored = (await redis.multi().hsetnx(hk, 'secret', sha256Hex(msg.hostSecret)).hmget(hk, 'secret', 'nValid').exec())?.[1]?.[1] as Array<string | null> | undefined;
    if (!matchesHash(stored?.[0] ?? null, msg.hostSecret)) {
      this.fail('HOST_AUTH', 'use the host id file this host created, or a new host id', 'hello');
      return this.close(4003, 'host authentication failed');
    }
    this.accountId = msg.account ? await this.svc.accounts.resolve(msg.account) : '';
    if (msg.account && !this.accountId) {
      this.fail('UNAUTHORIZED', 'unknown account key; create one with `idlegrid account create`', 'hello');
      return this.close(4003, 'unknown account key');
    }
    this.kinds = msg.kinds.filter((k) => getKind(k.name)?.version === k.version).map((k) => k.name);
    this.threads = msg.threads;
    const now = Date.now();
    const tx = redis
      .multi()
      .hset(hk, {
        id: msg.hostId,
        name: msg.name ?? '',
        account: this.accountId,
        facts: JSON.stringify(msg.facts),
        threads: msg.threads,
        kinds: this.kinds.join(','),
        software: msg.software,
        bench: JSON.stringify(msg.bench ?? {}),
        lastSeen: now,
        coordinator: this.svc.options.coordinatorId,
      })
      .hsetnx(hk, 'firstSeen', now)
      .zadd(keys.key('hosts'), now, msg.hostId);
    this.svc.presence.hello(tx, msg.hostId, this.link, now, Number(stored?.[1] ?? 0) > 0);
    await tx.exec();
    this.lastSeenWrite = now;
    // The socket may have closed while hello was in Redis: registering it now would keep it forever, and
    // the host gets the grace of a disconnect rather than the longer silence of a connected host.
    if (this.ws.readyState !== this.ws.OPEN) return this.svc.presence.gone(msg.hostId, this.link);
    this.hostId = msg.hostId;
    clearTimeout(this.helloTimer);
    this.svc.registry.add(msg.hostId, this);
    this.log.info({ hostId: msg.hostId, threads: msg.threads, kinds: this.kinds }, 'host connected');
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      coordinatorId: this.svc.options.coordinatorId,
      hostId: msg.hostId,
      serverTime: now,
      heartbeatMs: this.svc.options.heartbeatMs,
      maxBatch: MAX_BATCH,
      leases: await this.svc.dispatcher.held(msg.hostId),
    });
  }

  private async request(hostId: string, count: number, reqId?: number): Promise<void> {
    if (!this.kinds.length) {
      return this.send({ type: 'no_work', reason: 'incompatible', message: 'this worker runs no kind this coordinator serves at the same version', retryMs: 60_000, reqId });
    }
    const started = process.hrtime.bigint();
    const { units, reason, quota } = await this.svc.dispatcher.lease({
      hostId, accountId: this.accountId, kinds: this.kinds, count, network: this.address.network, threads: this.threads,
    });
    this.svc.metrics.dispatched(units.length, Number(process.hrtime.bigint() - started) / 1e9);
    if (units.length) return this.send({ type: 'work', units, reqId });
    if (reason === 'quota' && quota) return this.send({ type: 'no_work', reason, ...quotaMessage(quota, Date.now()), reqId });
    const why = {
      no_jobs: 'no jobs are queued',
      all_leased: 'every unit of the running jobs is out with other hosts or being validated',
      needs_other_host: 'the units left need a host, account and network other than this one: replicas of a unit never share any of them',
      incompatible: 'the queued jobs are of kinds this worker does not run',
      quota: 'quota reached',
    }[reason ?? 'no_jobs'];
    this.send({ type: 'no_work', reason: reason ?? 'no_jobs', message: why, retryMs: reason === 'all_leased' || reason === 'needs_other_host' ? 2_000 : 5_000, reqId });
  }

  private async report(hostId: string, items: Array<{ leaseId: string; what: 'R' | 'E'; payload: unknown; cpuS: number }>): Promise<void> {
    const rejected = new Map<string, ReturnType<typeof wireError>>();
    const rows: StoreRow[] = [];
    for (const item of items) {
      const lease = parseLeaseId(item.leaseId);
      const meta = item.what === 'R' ? await this.svc.jobs.meta(lease.jobId) : null;
      const parsed = meta ? meta.kind.result.safeParse(item.payload) : null;
      if (parsed && !parsed.success) {
        // A result that is not even well-formed counts as an error result, so the unit is reissued.
        const error = wireError('BAD_RESULT', `unit ${lease.unit} of job ${lease.jobId}`);
        item.what = 'E';
        item.payload = error;
        rejected.set(item.leaseId, error);
      } else if (parsed) {
        // What the kind's schema made of it, not what the host sent: fields it does not know (padding of up
        // to a frame's megabyte, which Redis would keep in the unit and again as the canonical result) are
        // dropped, so a result costs the store what its schema bounds it to.
        item.payload = parsed.data;
      }
      rows.push({ lease, args: [lease.jobId, lease.unit, lease.replica, item.what, JSON.stringify(item.payload), item.cpuS] });
    }
    const statuses = await this.store(hostId, rows);
    const ack = items.map((item, i) => {
      const status = statuses[i];
      const early = rejected.get(item.leaseId);
      if (isStored(status)) this.svc.progress.delete(item.leaseId);
      if (early) return { leaseId: item.leaseId, status: 'rejected' as const, error: early };
      if (isStored(status)) return { leaseId: item.leaseId, status: 'accepted' as const };
      const code = ErrorCodeSchema.safeParse(status);
      if (!code.success) this.log.error({ status, leaseId: item.leaseId }, 'report.lua returned an unregistered status');
      return { leaseId: item.leaseId, status: 'rejected' as const, error: wireError(code.success ? code.data : 'INTERNAL') };
    });
    this.send({ type: 'ack', items: ack });
    this.svc.metrics.results(ack);
    // Validated apart from this connection (validation-queue.ts): the host's next frame need not wait.
    await this.svc.validation.add(rows.filter((_, i) => statuses[i] === 'check').map((row) => row.lease));
  }

  /**
   * Run report.lua for a batch, and with --redis-wait-replicas return only once a replica holds what it
   * wrote: a worker drops a result once acknowledged, so an acknowledgement that a failover then lost would
   * leave the unit leased to the host (against its allowance) until its deadline. Each stored item's
   * `reportedAt` field is read back after the wait (store/replica-ack.ts); items missing there were lost
   * with the old primary and are reported again on the new one, where the lease still stands or is refused.
   */
  private async store(hostId: string, rows: StoreRow[]): Promise<string[]> {
    const statuses: string[] = new Array(rows.length);
    let pending = rows.map((_, i) => i);
    for (let attempt = 0; pending.length; attempt++) {
      const got = await this.svc.reports.store(hostId, pending.map((i) => rows[i].args));
      pending.forEach((i, k) => { statuses[i] = got[k]; });
      const stored = pending.filter((i) => isStored(statuses[i]));
      if (!this.svc.ack.enabled || !stored.length) break;
      const kept = await this.svc.ack.confirm(stored.map((i) => {
        const { jobId, unit, replica } = rows[i].lease;
        return { key: this.svc.keys.key('unit', { job: jobId, unit }), field: replicaField('reportedAt', replica) };
      }));
      pending = stored.filter((_, k) => !kept[k]);
      if (pending.length) this.log.warn({ hostId, lost: pending.length, attempt }, 'reports were lost in a Redis failover before a replica had them; storing them again');
      if (attempt >= 2 && pending.length) {
        for (const i of pending) statuses[i] = 'STORE_UNAVAILABLE';
        break;
      }
    }
    return statuses;
  }

  /** Any message after hello: the host is alive (written at most every few seconds); heartbeats carry its status line. */
  private alive(hostId: string, state?: string): void {
    const now = Date.now();
    // A new status line is written at once: the throttle is for lastSeen, and a heartbeat arriving just
    // after another message must not lose what the host said it is doing.
    const news = state !== undefined && state !== this.stateWritten;
    if ((!news && now - this.lastSeenWrite < this.svc.presence.writeEveryMs) || this.ws.readyState !== this.ws.OPEN) return;
    this.lastSeenWrite = now;
    if (state !== undefined) this.stateWritten = state;
    this.svc.presence.seen(hostId, now, state);
  }
}

/** What a host over its allowance or a daily quota is told, and when to ask again. */
export function quotaMessage(q: QuotaDetail, now: number): { message: string; retryMs: number } {
  if (q.limit === 'held') {
    return {
      message: `this host holds ${q.held} units, all it may hold for now (${q.allowance}: a new host starts with a few, and each validated result adds one, up to its threads' buffer)`,
      retryMs: 1_000,
    };
  }
  const reset = (q.day + 1) * 86_400_000;
  const mins = Math.max(1, Math.ceil((reset - now) / 60_000));
  const inText = mins >= 120 ? `${Math.floor(mins / 60)} h ${mins % 60} min` : `${mins} min`;
  const holder = q.who === 'host' ? 'this host' : 'this account (all its hosts together)';
  // What matters first (clients may show only the start): which quota, and when it resets.
  return {
    message: `daily quota reached: ${holder} had ${q.used} of ${q.quota} units of ${q.kind} today; it resets at 00:00 UTC, in ${inText} (each validated result doubles the quota, each invalid one halves it)`,
    // A validated result raises the quota at once: ask again within a minute rather than at midnight.
    retryMs: Math.min(60_000, reset - now),
  };
}
