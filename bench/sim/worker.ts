/**
 * Simulated hosts: one process holding many WebSocket connections, each a host with its own id and
 * secret that speaks the real protocol (protocol/messages.ts) and computes nothing. Driven over IPC by
 * bench/lib/sim.ts (commands in ./protocol.ts).
 *
 * Results are valid for the key search kind without computing: `found: []` (check() verifies only found
 * keys), `keys` = the unit's count, and a digest that is a function of the job and unit alone, so every
 * replica of a unit agrees with every other. The coordinator cannot tell without ringers, which these
 * jobs do not plant, nor audits, which these jobs turn off (the audit's own cost is measured apart).
 */
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { MAX_BATCH, PROTOCOL_VERSION, SOFTWARE, type CoordinatorMessage, type WorkUnit, type WorkerMessage } from '../../protocol/index.js';
import keysearch from '../../workunits/keysearch/kind.js';
import { auditBlocks } from '../../workunits/keysearch/params.js';
import type { SimCommand, SimConfig, SimReply, SimStats } from './protocol.js';

const digestOf = (u: WorkUnit): string => createHash('md5').update(`${u.jobId}.${u.unit}`).digest('hex').slice(0, 16);

/** Well formed without computing: blocks that add up to the digest. Only valid where the job has no audit and no planted keys. */
function simResult(u: WorkUnit) {
  const count = (u.spec as { count: number }).count;
  const digest = digestOf(u);
  return { found: [], keys: count, digest, blocks: [digest, ...Array.from({ length: auditBlocks(count) - 1 }, () => '0'.repeat(16))] };
}

function emptyStats(): SimStats {
  return {
    connected: 0, connectFailed: 0, windowMs: 0, resultsSent: 0, accepted: 0, rejected: {}, unitsReceived: 0,
    noWork: {}, errors: {}, dispatchMs: [], heartbeatMs: [], heartbeatsSent: 0, closed: 0, samples: [],
  };
}

let stats = emptyStats();
let windowStart = performance.now();
let running = false;
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
const sample = (s: string) => stats.samples.length < 10 && stats.samples.push(s.slice(0, 300));

class SimHost {
  private ws!: WebSocket;
  private readonly secret = randomBytes(32).toString('hex');
  private reqId = 0;
  private requestedAt = 0;
  /** A request or an unacknowledged results frame is out. */
  busy = false;
  welcomed = false;
  /** We are closing it ourselves. */
  private closing = false;
  held = 0;
  private hbSeq = 0;
  private hbSent = new Map<number, number>();
  private hbTimer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;

  constructor(readonly id: string, private readonly url: string, private readonly cfg: SimConfig, private readonly localAddress?: string) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url, { perMessageDeflate: false, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
      const fail = (err: Error) => reject(err);
      this.ws.once('error', fail);
      this.ws.on('message', (d) => this.onMessage(JSON.parse(d.toString()) as CoordinatorMessage, resolve));
      this.ws.once('open', () => {
        this.ws.off('error', fail);
        this.ws.on('error', (err) => sample(`socket error: ${err.message}`));
        this.send({
          type: 'hello', protocol: PROTOCOL_VERSION, hostId: this.id, hostSecret: this.secret, software: SOFTWARE,
          facts: { cores: 2, memoryBytes: 1 << 30, platform: 'linux', arch: 'x64' }, threads: this.cfg.threads,
          kinds: [{ name: keysearch.name, version: keysearch.version }],
        });
      });
      this.ws.once('close', (code, reason) => {
        if (this.welcomed && !this.closing) {
          stats.closed++;
          sample(`${this.id} closed by the server: ${code} ${reason.toString()}`);
        }
        clearInterval(this.hbTimer);
        clearTimeout(this.retry);
        reject(new Error('closed before welcome'));
      });
    });
  }

  private send(msg: WorkerMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Throughput / lease: ask for a batch. */
  request(): void {
    if (this.busy || !this.welcomed) return;
    this.busy = true;
    this.requestedAt = performance.now();
    this.send({ type: 'request', count: this.cfg.batch, reqId: ++this.reqId });
  }

  startHeartbeats(): void {
    const beat = () => {
      const seq = ++this.hbSeq;
      this.hbSent.set(seq, performance.now());
      stats.heartbeatsSent++;
      this.send({ type: 'heartbeat', seq, sentAt: Date.now(), state: 'running' });
    };
    this.retry = setTimeout(() => {
      beat();
      this.hbTimer = setInterval(beat, this.cfg.heartbeatMs);
    }, Math.random() * this.cfg.heartbeatMs);
  }

  stopHeartbeats(): void {
    clearTimeout(this.retry);
    clearInterval(this.hbTimer);
  }

  private again(delayMs: number): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => running && this.cfg.mode === 'throughput' && this.request(), delayMs);
  }

  private onMessage(m: CoordinatorMessage, welcomed: () => void): void {
    switch (m.type) {
      case 'welcome':
        this.welcomed = true;
        welcomed();
        return;
      case 'work': {
        stats.dispatchMs.push(performance.now() - this.requestedAt);
        stats.unitsReceived += m.units.length;
        this.held += m.units.length;
        if (this.cfg.mode !== 'throughput' || !m.units.length) {
          this.busy = false;
          return;
        }
        const items = m.units.map((u) => ({
          leaseId: u.leaseId,
          result: simResult(u),
          cpuS: 0,
          elapsedS: 0,
        }));
        stats.resultsSent += items.length;
        this.send({ type: 'results', items });
        return;
      }
      case 'ack':
        for (const it of m.items) {
          if (it.status === 'accepted') stats.accepted++;
          else {
            bump(stats.rejected, it.error?.code ?? 'REJECTED');
            sample(`rejected ${it.leaseId}: ${it.error?.code} ${it.error?.message}`);
          }
        }
        this.held = Math.max(0, this.held - m.items.length);
        this.busy = false;
        if (running && this.cfg.mode === 'throughput') this.request();
        return;
      case 'no_work':
        bump(stats.noWork, m.reason);
        this.busy = false;
        if (running) this.again(Math.min(m.retryMs, 20));
        return;
      case 'heartbeat_ack': {
        const t = this.hbSent.get(m.seq);
        if (t !== undefined) {
          this.hbSent.delete(m.seq);
          stats.heartbeatMs.push(performance.now() - t);
        }
        return;
      }
      case 'error':
        bump(stats.errors, m.code);
        sample(`error ${m.code} (${m.ref ?? '-'}): ${m.message}`);
        // A request or report that failed, or an error that names no message (as the worker does: the
        // one in flight may be the one that failed), is tried again.
        if (m.ref === 'request' || m.ref === 'results' || m.ref === undefined) {
          this.busy = false;
          if (running) this.again(50);
        }
        return;
      default:
        return;
    }
  }

  /** Close and resolve once the socket is gone. */
  close(): Promise<void> {
    this.closing = true;
    this.stopHeartbeats();
    clearTimeout(this.retry);
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((res) => {
      this.ws.once('close', () => res());
      this.ws.close();
      setTimeout(() => {
        this.ws.terminate();
        res();
      }, 2_000).unref();
    });
  }
}

let hosts: SimHost[] = [];
let cfg: SimConfig;

async function connectAll(config: SimConfig): Promise<{ connected: number; failed: number }> {
  cfg = { ...config, batch: Math.min(config.batch, MAX_BATCH) };
  const address = (g: number): string | undefined => {
    if (!cfg.hostsPerAddress) return undefined;
    const a = Math.floor(g / cfg.hostsPerAddress);
    return `127.77.${Math.floor(a / 250)}.${(a % 250) + 1}`;
  };
  hosts = Array.from({ length: cfg.hosts }, (_, i) => {
    const g = cfg.firstIndex + i;
    return new SimHost(`${cfg.idPrefix}-${i}`, cfg.urls[g % cfg.urls.length], cfg, address(g));
  });
  let next = 0;
  const connectOne = async (): Promise<void> => {
    while (next < hosts.length) {
      const h = hosts[next++];
      try {
        await h.connect();
        stats.connected++;
      } catch (err) {
        stats.connectFailed++;
        sample(`connect ${h.id}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cfg.connectConcurrency) }, connectOne));
  return { connected: stats.connected, failed: stats.connectFailed };
}

async function handle(c: SimCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'connect':
      return connectAll(c.config);
    case 'run': {
      running = true;
      const live = hosts.filter((h) => h.welcomed);
      if (cfg.mode === 'heartbeat') live.forEach((h) => h.startHeartbeats());
      else live.forEach((h) => h.request());
      if (cfg.mode === 'lease') {
        // Done when every host holds its batch (or was told there is none).
        const end = Date.now() + 60_000;
        while (live.some((h) => h.busy) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        return { held: live.reduce((s, h) => s + h.held, 0) };
      }
      return undefined;
    }
    case 'pause': {
      running = false;
      hosts.forEach((h) => h.stopHeartbeats());
      const end = Date.now() + 30_000;
      while (hosts.some((h) => h.busy) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return { idle: !hosts.some((h) => h.busy) };
    }
    case 'mark': {
      const { connected, connectFailed, closed } = stats;
      stats = { ...emptyStats(), connected, connectFailed, closed };
      windowStart = performance.now();
      return undefined;
    }
    case 'stats':
      return { ...stats, windowMs: performance.now() - windowStart };
    case 'disconnect':
      running = false;
      await Promise.all(hosts.map((h) => h.close()));
      hosts = [];
      stats = emptyStats();
      return undefined;
    case 'close':
      running = false;
      hosts.forEach((h) => void h.close());
      setTimeout(() => process.exit(0), 200);
      return undefined;
  }
}

process.on('message', (c: SimCommand) => {
  handle(c).then(
    (data) => process.send!({ id: c.id, ok: true, data } satisfies SimReply),
    (err: Error) => process.send!({ id: c.id, ok: false, error: err.stack ?? err.message } satisfies SimReply),
  );
});
process.on('disconnect', () => process.exit(0));
