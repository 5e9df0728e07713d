/**
 * Which hosts are still there, kept in Redis so that it holds across coordinators (a host may reconnect to
 * any of them, and a coordinator may die without a word): every sign of life pushes the host's time in
 * `hosts:live` a few heartbeat periods ahead, a disconnect pulls it to a short grace, and each
 * coordinator's transitioner hands the replicas of hosts past their time to others. Host records that
 * never returned a valid result are deleted after a day of silence, and new host ids are rationed per
 * address. docs/security.md ("Hoarders and ghosts") has the rules.
 *
 * Signs of life are written in batches, once a second per coordinator: one ZADD per sorted set for
 * every host heard from since the last batch, where one transaction of four commands per host per
 * heartbeat would make liveness alone the largest load on Redis at a million hosts (docs/scaling.md).
 */
import type { ChainableCommander } from 'ioredis';
import type { Logger } from 'pino';
import type { EventBus } from './events.js';
import type { ClientAddress } from './network.js';
import type { CoordinatorOptions } from './options.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import { STANDING } from './store/unit-layout.js';

/** Hosts (and host records) handled per transitioner tick; the rest wait for the next one. */
const SWEEP_BATCH = 500;
const HOUR_MS = 3_600_000;
/** Signs of life wait at most this long to be written together; far inside the silence allowed. */
const BATCH_MS = 1_000;
const ZADD_HOSTS = 1_000;

interface Sign {
  at: number;
  state?: string;
}

export type Admission = { ok: true } | { ok: false; limit: number; retryInS: number };

export class HostPresence {
  /** Hosts heard from since the last batch was written. */
  private pending = new Map<string, Sign>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly options: CoordinatorOptions,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  /** How long a connected host may stay silent before its units go to others. */
  get silentMs(): number {
    return this.options.silentBeats * this.options.heartbeatMs;
  }

  /** Sign-of-life writes are spaced this far apart: well inside the silence allowed. */
  get writeEveryMs(): number {
    return Math.min(5_000, this.options.heartbeatMs / 2);
  }

  /**
   * A hello with a host id this grid has no record of: counted against its address's hourly ration (an
   * hour from the first such hello). Known hosts are never counted, so a volunteer's machines reconnect freely.
   */
  async admitNewHost(address: ClientAddress): Promise<Admission> {
    const limit = address.loopback ? this.options.loopbackNewHostsPerHour : this.options.newHostsPerHour;
    const key = this.keys.key('newHosts', { address: address.rationKey });
    const res = await this.redis.multi().set(key, 0, 'PX', HOUR_MS, 'NX').incr(key).pttl(key).exec();
    const count = Number(res?.[1]?.[1] ?? 0);
    if (count <= limit) return { ok: true };
    return { ok: false, limit, retryInS: Math.max(1, Math.ceil(Number(res?.[2]?.[1] ?? HOUR_MS) / 1000)) };
  }

  /**
   * A hello was accepted: this connection (`link`) now speaks for the host. Added to the hello's own
   * transaction; `proven` says whether the host has a valid result (else its record may expire).
   */
  hello(tx: ChainableCommander, hostId: string, link: string, now: number, proven: boolean): void {
    tx.hset(this.keys.key('host', { host: hostId }), STANDING.link, link).zadd(this.keys.key('hostsLive'), now + this.silentMs, hostId);
    if (!proven) tx.zadd(this.keys.key('hostsUnproven'), now, hostId);
  }

  /**
   * Any message from the host: it is alive. `state` is the worker's status line, from its heartbeats.
   * Written with the next batch, within BATCH_MS (or at once by flush()).
   */
  seen(hostId: string, now: number, state?: string): void {
    const last = this.pending.get(hostId);
    this.pending.set(hostId, { at: now, state: state ?? last?.state });
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), Math.min(BATCH_MS, this.writeEveryMs));
      this.timer.unref();
    }
  }

  /**
   * Writes the signs of life waiting: the hosts' last-seen times, their times in `hosts:live`, and the
   * status lines that came with them. A batch that fails is dropped (the next heartbeat writes again;
   * a host that missed one is still well inside its silence allowance).
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size) return this.writing;
    const batch = this.pending;
    this.pending = new Map();
    const p = this.redis.pipeline();
    const hosts = [...batch];
    // Commands of at most ZADD_HOSTS members: Redis runs one command at a time, and one ZADD of every
    // host a busy coordinator heard from in a second would hold everything else up while it runs.
    for (let i = 0; i < hosts.length; i += ZADD_HOSTS) {
      const seen: Array<number | string> = [];
      const live: Array<number | string> = [];
      for (const [host, sign] of hosts.slice(i, i + ZADD_HOSTS)) {
        seen.push(sign.at, host);
        live.push(sign.at + this.silentMs, host);
        const fields: Array<string | number> = ['lastSeen', sign.at];
        if (sign.state !== undefined) fields.push('state', sign.state);
        p.hset(this.keys.key('host', { host }), ...fields);
      }
      p.zadd(this.keys.key('hosts'), ...seen).zadd(this.keys.key('hostsLive'), ...live).zadd(this.keys.key('hostsUnproven'), 'XX', ...seen);
    }
    const written = p.exec().then((res) => {
      const failed = res?.find(([err]) => err)?.[0];
      if (failed) throw failed;
    }).catch((err: Error) => this.log.warn({ err: err.message, hosts: batch.size }, 'could not write hosts\' signs of life; the next ones will be'));
    this.writing = written;
    return written;
  }

  /** The host's connection closed: it has a short grace to come back, here or to another coordinator. */
  async gone(hostId: string, link: string): Promise<void> {
    // A sign of life still waiting would push the host's time out again after the grace is set.
    this.pending.delete(hostId);
    const expiry = Date.now() + this.options.offlineGraceBeats * this.options.heartbeatMs;
    await this.redis.ig_hostOffline(this.keys.prefix, hostId, link, expiry);
  }

  /**
   * One transitioner step: hand back the replicas of hosts past their time (and tell them, should they
   * still be connected somewhere), and delete host records that never proved anything and went quiet.
   */
  async sweep(now: number): Promise<void> {
    const flat = (await this.redis.ig_releaseSilent(this.keys.prefix, now, SWEEP_BATCH)) as string[];
    if (flat.length) {
      const leases: Array<[string, string]> = [];
      for (let i = 0; i < flat.length; i += 2) leases.push([flat[i], flat[i + 1]]);
      this.log.info({ released: leases.length, hosts: new Set(leases.map(([, h]) => h)).size }, 'hosts went silent; their units go to others');
      await this.bus.publish({ type: 'cancel', leases, reason: 'this host went silent or stayed away; the unit was given to another host' });
    }
    const expired = (await this.redis.ig_expireHosts(this.keys.prefix, now - this.options.unprovenHostTtlS * 1000, SWEEP_BATCH)) as number;
    if (expired) this.log.info({ expired }, 'host records that never returned a valid result expired');
  }
}
