/**
 * The volunteer's worker: keeps a buffer of units so threads never wait on the network, runs them on
 * the compute pool, delivers results through the on-disk outbox, drops cancelled units, and says what
 * it is doing and why.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { PROTOCOL_VERSION, SOFTWARE, type CoordinatorMessage, type WorkUnit } from '../protocol/index.js';
import { KINDS, getKind } from '../workunits/index.js';
import { CheckpointStore } from './checkpoints.js';
import { hostFacts } from './facts.js';
import { loadIdentity, type HostIdentity } from './identity.js';
import { Link } from './link.js';
import type { WorkerOptions } from './options.js';
import { Outbox, type PendingResult } from './outbox.js';
import { ComputePool, type RunningTask } from './pool.js';

export interface UnitStatus {
  leaseId: string;
  kind: string;
  fraction: number;
  opsPerS: number;
  startedAt: number;
  deadline: number;
}

export interface WorkerEvents {
  status: [state: string];
  unitDone: [leaseId: string, computeS: number];
  accepted: [leaseId: string];
  rejected: [leaseId: string, code: string, message: string];
  log: [level: 'info' | 'warn', msg: string, extra?: Record<string, unknown>];
}

export class VolunteerWorker extends EventEmitter<WorkerEvents> {
  readonly identity: HostIdentity;
  private readonly link: Link;
  private readonly pool: ComputePool;
  private readonly outbox: Outbox;
  private readonly checkpoints: CheckpointStore;
  private readonly queue: WorkUnit[] = [];
  private readonly running = new Map<string, { unit: WorkUnit; task: RunningTask; status: UnitStatus }>();
  private requesting = false;
  private retryTimer?: NodeJS.Timeout;
  private finishing = false;
  private stopping = false;
  state = 'starting';
  unitsDone = 0;

  constructor(readonly opts: WorkerOptions) {
    super();
    this.identity = loadIdentity(opts.configDir);
    this.outbox = new Outbox(opts.configDir);
    this.checkpoints = new CheckpointStore(opts.configDir);
    this.pool = new ComputePool(opts.threads, opts.sliceMs, opts.checkpointIntervalS * 1000);
    const wsUrl = opts.coordinator.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws';
    this.link = new Link(wsUrl, () => ({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      hostId: this.identity.hostId,
      hostSecret: this.identity.hostSecret,
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.account ? { account: opts.account } : {}),
      software: SOFTWARE,
      facts: hostFacts(),
      threads: opts.threads,
      kinds: Object.values(KINDS).map((k) => ({ name: k.name, version: k.version })),
    }));
    this.link.on('message', (m) => this.onMessage(m));
    this.link.on('up', () => {
      this.setState('connected');
      this.flushOutbox();
      this.fill();
    });
    this.link.on('down', (reason, wait) => this.setState(`waiting for work: coordinator down (${reason}); retry in ${Math.round(wait / 1000)} s`));
  }

  start(): void {
    this.link.start();
  }

  /** Units running now, for the terminal view and the control interface. */
  units(): UnitStatus[] {
    return [...this.running.values()].map((r) => r.status);
  }

  get buffered(): number {
    return this.queue.length;
  }

  private setState(state: string): void {
    if (state === this.state) return;
    this.state = state;
    this.link.state = state;
    this.emit('status', state);
  }

  private onMessage(msg: CoordinatorMessage): void {
    switch (msg.type) {
      case 'welcome':
        // Units this host already holds: keep them (resumed from checkpoints where there are some).
        for (const u of msg.leases) if (!this.running.has(u.leaseId) && !this.queue.some((q) => q.leaseId === u.leaseId)) this.queue.push(u);
        this.pump();
        return;
      case 'work':
        this.requesting = false;
        this.queue.push(...msg.units);
        this.pump();
        this.fill();
        return;
      case 'no_work':
        this.requesting = false;
        if (!this.running.size) this.setState(`waiting for work: ${msg.message}`);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.fill(), msg.retryMs);
        return;
      case 'ack':
        for (const item of msg.items) {
          this.outbox.remove(item.leaseId);
          if (item.status === 'accepted') this.emit('accepted', item.leaseId);
          else this.emit('rejected', item.leaseId, item.error?.code ?? 'REJECTED', item.error?.message ?? '');
        }
        return;
      case 'cancel':
        for (const id of msg.leaseIds) this.drop(id, msg.reason);
        this.fill();
        return;
      case 'error':
        this.requesting = false;
        this.emit('log', 'warn', `coordinator: ${msg.code}: ${msg.message}`);
        return;
      default:
        return;
    }
  }

  private drop(leaseId: string, reason: string): void {
    const i = this.queue.findIndex((u) => u.leaseId === leaseId);
    if (i >= 0) this.queue.splice(i, 1);
    const r = this.running.get(leaseId);
    if (r) {
      r.task.abort();
      this.running.delete(leaseId);
    }
    this.checkpoints.remove(leaseId);
    this.emit('log', 'info', `dropped ${leaseId}: ${reason}`);
  }

  /** Ask for enough units to keep every thread busy plus the buffer. */
  private fill(): void {
    if (this.finishing || this.stopping || this.requesting || !this.link.connected) return;
    const want = this.opts.threads + this.opts.bufferUnits - this.queue.length - this.running.size;
    if (want <= 0) return;
    this.requesting = this.link.send({ type: 'request', count: Math.min(want, 64) });
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.opts.threads && this.queue.length) {
      const unit = this.queue.shift()!;
      if (unit.deadline < Date.now()) {
        this.emit('log', 'warn', `skipping ${unit.leaseId}: its deadline has passed`);
        this.checkpoints.remove(unit.leaseId);
        continue;
      }
      void this.startUnit(unit);
    }
    if (this.running.size) this.setState('running');
    if (this.finishing && !this.running.size && !this.queue.length) void this.stop('finished the units in hand');
  }

  private async startUnit(unit: WorkUnit): Promise<void> {
    const kind = getKind(unit.kind);
    const started = Date.now();
    const status: UnitStatus = { leaseId: unit.leaseId, kind: unit.kind, fraction: 0, opsPerS: 0, startedAt: started, deadline: unit.deadline };
    // Reserve the thread before any await, so pump() does not start a second unit on it.
    const placeholder = { unit, task: { outcome: Promise.resolve(null as never), pause() {}, resume() {}, abort() {} }, status };
    this.running.set(unit.leaseId, placeholder);
    try {
      if (!kind || kind.version !== unit.kindVersion) throw Object.assign(new Error(`kind ${unit.kind} v${unit.kindVersion} is not in this worker`), { code: 'UNIT_ERROR' });
      const input = unit.input ? await this.download(unit) : undefined;
      if (!this.running.has(unit.leaseId)) return; // cancelled while downloading
      const task = this.pool.run(
        { kernelModule: kind.kernelModule, spec: unit.spec, input, checkpoint: this.checkpoints.load(unit.leaseId) },
        (p) => {
          status.fraction = p.fraction;
          const secs = (Date.now() - started) / 1000;
          status.opsPerS = secs > 0 ? p.opsDone / secs : 0;
          if (p.checkpoint !== undefined) this.checkpoints.save(unit.leaseId, p.checkpoint);
        },
      );
      this.running.set(unit.leaseId, { unit, task, status });
      const outcome = await task.outcome;
      if (outcome.status === 'aborted') {
        if (this.stopping) this.checkpoints.save(unit.leaseId, outcome.checkpoint);
        return;
      }
      if (!this.running.has(unit.leaseId)) return;
      this.running.delete(unit.leaseId);
      this.unitsDone++;
      this.emit('unitDone', unit.leaseId, outcome.computeS);
      this.deliver({ leaseId: unit.leaseId, result: outcome.result, cpuS: outcome.computeS, elapsedS: (Date.now() - started) / 1000 });
      this.checkpoints.remove(unit.leaseId);
    } catch (err) {
      this.running.delete(unit.leaseId);
      const e = err as { code?: string; message: string };
      this.emit('log', 'warn', `unit ${unit.leaseId} failed: ${e.message}`);
      this.link.send({ type: 'failures', items: [{ leaseId: unit.leaseId, code: e.code ?? 'UNIT_ERROR', message: e.message.slice(0, 2000) }] });
    } finally {
      this.pump();
      this.fill();
    }
  }

  private async download(unit: WorkUnit): Promise<Uint8Array> {
    const url = this.opts.coordinator.replace(/\/$/, '') + unit.input!.path;
    const headers = { 'x-idlegrid-host': this.identity.hostId, 'x-idlegrid-secret': this.identity.hostSecret };
    const res = await fetch(url, { headers });
    if (!res.ok) throw Object.assign(new Error(`input download failed: HTTP ${res.status}`), { code: 'INPUT_HASH' });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== unit.input!.sha256) throw Object.assign(new Error(`input slice hash ${sha} does not match ${unit.input!.sha256}`), { code: 'INPUT_HASH' });
    return bytes;
  }

  private pendingBatch: PendingResult[] = [];
  private batchTimer?: NodeJS.Timeout;

  /** Results go to disk first, then out in small batches (one frame, one Redis round trip). */
  private deliver(item: PendingResult): void {
    this.outbox.add(item);
    this.pendingBatch.push(item);
    if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        const items = this.pendingBatch.splice(0, 64);
        if (items.length) this.link.send({ type: 'results', items });
      }, 5);
    }
  }

  private flushOutbox(): void {
    const all = this.outbox.all();
    for (let i = 0; i < all.length; i += 64) this.link.send({ type: 'results', items: all.slice(i, i + 64) });
  }

  pause(reason: string): void {
    this.pool.pauseAll();
    this.setState(`paused: ${reason}`);
  }

  resume(): void {
    this.pool.resumeAll();
    this.setState(this.running.size ? 'running' : 'waiting for work');
  }

  /** Complete the units in hand, fetch no more, then exit. */
  finish(): void {
    this.finishing = true;
    this.setState('finishing the units in hand');
    this.pump();
  }

  /**
   * Stop: running units stop at their next slice and checkpoint, so a restart resumes them; units not
   * started are handed back so other hosts can take them now.
   */
  async stop(reason = 'stopping'): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    const unstarted = this.queue.splice(0).map((u) => u.leaseId);
    if (unstarted.length) this.link.send({ type: 'release', leaseIds: unstarted.slice(0, 64), reason });
    const outcomes = [...this.running.values()].map((r) => {
      r.task.abort();
      return r.task.outcome.catch(() => null);
    });
    await Promise.all(outcomes);
    await this.link.stop(reason);
    await this.pool.destroy();
    this.setState(`stopped: ${reason}`);
  }
}
