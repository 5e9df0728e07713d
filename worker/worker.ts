/**
 * The volunteer's worker: keeps a buffer of units so threads never wait on the network, runs them on
 * the compute pool, checkpoints them, delivers results through the on-disk outbox, drops cancelled
 * units, and says what it is doing and why. When it may compute is decided outside (governor.ts) and
 * arrives through hold() and throttle(); without a governor (the demo) it always computes.
 */
import { availableParallelism } from 'node:os';
import { EventEmitter } from 'node:events';
import { PROTOCOL_VERSION, SOFTWARE, isErrorCode, type CoordinatorMessage, type WorkUnit } from '../protocol/index.js';
import { KINDS, getKind } from '../workunits/index.js';
import { loadBenchRates } from './bench-cache.js';
import { CheckpointStore } from './checkpoints.js';
import { CreditLog } from './credit.js';
import { hostFacts } from './facts.js';
import type { Governed } from './governor.js';
import { loadIdentity, type HostIdentity } from './identity.js';
import { Link } from './link.js';
import { resolveWorkerOptions, type WorkerOptions, type WorkerOptionsInput } from './options.js';
import { Delivery } from './delivery.js';
import { downloadInput } from './download.js';
import { Outbox } from './outbox.js';
import { ComputePool } from './pool.js';
import type { UnitView, WorkerSnapshot } from './status.js';
import { Running, unitView } from './running.js';
import { stateLine } from './state-line.js';
import { unitsToRequest, updateRate } from './work-buffer.js';

export interface WorkerEvents {
  status: [state: string];
  unitDone: [leaseId: string, computeS: number];
  accepted: [leaseId: string];
  rejected: [leaseId: string, code: string, message: string];
  log: [level: 'info' | 'warn', msg: string, extra?: Record<string, unknown>];
}

/** The limits a preference change can alter while the worker runs. */
export type Limits = Pick<WorkerOptions, 'threads' | 'bufferUnits' | 'bufferMinutes' | 'checkpointIntervalS'>;

const PROGRESS_EVERY_MS = 10_000;

export class VolunteerWorker extends EventEmitter<WorkerEvents> implements Governed {
  readonly identity: HostIdentity;
  readonly opts: WorkerOptions;
  private readonly link: Link;
  private readonly pool: ComputePool;
  private readonly delivery: Delivery;
  private readonly checkpoints: CheckpointStore;
  private readonly credit: CreditLog;
  private readonly queue: WorkUnit[] = [];
  private readonly running = new Map<string, Running>();
  /** Units being stopped to go back to the front of the queue (fewer threads, a memory pause). */
  private readonly requeue = new Set<string>();
  private readonly opsOf = new Map<string, number>();
  readonly rates: Record<string, number>;
  private requesting = false;
  private retryTimer?: NodeJS.Timeout;
  private progressTimer?: NodeJS.Timeout;
  private finishing = false;
  private stopping = false;
  private holdReason: string | null = null;
  private resting = false;
  private downReason: string | null = 'connecting';
  private noWork: string | null = null;
  /** A coordinator has told us which units we hold; until then "nothing in hand" is not known. */
  private welcomed = false;
  state = 'starting';
  unitsDone = 0;

  constructor(input: WorkerOptionsInput) {
    super();
    this.opts = resolveWorkerOptions(input);
    const opts = this.opts;
    this.identity = loadIdentity(opts.configDir);
    this.checkpoints = new CheckpointStore(opts.configDir);
    this.credit = new CreditLog(opts.configDir);
    const versions = Object.fromEntries(Object.values(KINDS).map((k) => [k.name, k.version]));
    this.rates = loadBenchRates(opts.configDir, versions);
    const bench = { ...this.rates };
    this.pool = new ComputePool(Math.max(opts.threads, availableParallelism()), opts.sliceMs, opts.checkpointIntervalS * 1000);
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
      threads: this.opts.threads,
      kinds: Object.values(KINDS).map((k) => ({ name: k.name, version: k.version })),
      ...(Object.keys(bench).length ? { bench } : {}),
    }));
    this.delivery = new Delivery(new Outbox(opts.configDir), this.link);
    this.link.on('message', (m) => this.onMessage(m));
    this.link.on('up', () => {
      this.downReason = null;
      this.refresh();
      const n = this.delivery.resend();
      if (n) this.emit('log', 'info', `delivering ${n} result(s) kept while the coordinator was unreachable`, { count: n });
    });
    this.link.on('down', (reason, wait) => {
      this.requesting = false;
      this.downReason = `coordinator down (${reason}); retry in ${Math.round(wait / 1000)} s`;
      this.refresh();
    });
  }

  start(): void {
    this.link.start();
    this.progressTimer = setInterval(() => this.sendProgress(), PROGRESS_EVERY_MS);
    this.progressTimer.unref();
  }

  /** Units running now, for the terminal view and the control interface. */
  units(): UnitView[] {
    return [...this.running.values()].map((r) => unitView(r));
  }

  get buffered(): number {
    return this.queue.length;
  }

  /** The most threads setLimits accepts without a restart. */
  get maxThreads(): number {
    return this.pool.maxThreads;
  }

  get busy(): boolean {
    return this.running.size + this.queue.length > 0;
  }

  /** Seconds all threads have spent inside kernel slices (efficiency benchmark). */
  computeSeconds(): number {
    return this.pool.computeSeconds();
  }

  /** Threads still inside a slice (pause latency benchmark): 0 once a pause has taken effect. */
  computingThreads(): number {
    return this.pool.computingThreads();
  }

  snapshot(): WorkerSnapshot {
    return {
      hostId: this.identity.hostId,
      ...(this.opts.name ? { name: this.opts.name } : {}),
      coordinator: this.opts.coordinator,
      state: this.state,
      connected: this.link.connected,
      threads: this.opts.threads,
      units: this.units(),
      buffered: this.queue.length,
      outbox: this.delivery.waiting,
      unitsDone: this.unitsDone,
      credit: this.credit.today(),
      rates: { ...this.rates },
    };
  }

  // ---- what the governor and the control interface drive ----

  hold(reason: string | null, opts: { unload?: boolean } = {}): void {
    this.holdReason = reason;
    this.pool.setPaused(reason !== null || this.resting);
    if (reason !== null && opts.unload) for (const id of this.running.keys()) this.unload(id);
    this.refresh();
    if (reason === null) {
      this.pump();
      this.fill();
    }
  }

  throttle(resting: boolean): void {
    this.resting = resting;
    this.pool.setPaused(this.holdReason !== null || resting);
  }

  pause(reason: string): void {
    this.hold(reason);
  }

  resume(): void {
    this.hold(null);
  }

  /** Apply changed preferences; throws with an actionable message when the pool cannot grow that far. */
  setLimits(limits: Limits): void {
    if (limits.threads > this.pool.maxThreads) {
      throw new Error(`threads: at most ${this.pool.maxThreads} without a restart (this worker started with a pool of ${this.pool.maxThreads}); restart it with --threads ${limits.threads}`);
    }
    Object.assign(this.opts, limits);
    this.pool.setCheckpointMs(limits.checkpointIntervalS * 1000);
    // Fewer threads: the most recently started units checkpoint and wait at the front of the queue.
    const excess = [...this.running.values()].filter((r) => !this.requeue.has(r.unit.leaseId)).sort((a, b) => b.startedAt - a.startedAt);
    for (const r of excess.slice(0, Math.max(0, excess.length - limits.threads))) this.unload(r.unit.leaseId);
    this.pump();
    this.fill();
  }

  /** Complete the units in hand, fetch no more, then exit. */
  finish(): void {
    this.finishing = true;
    this.refresh();
    this.pump();
  }

  /**
   * Stop: running units stop at their next slice and checkpoint, so a restart resumes them (the
   * coordinator gives them back in welcome); units not started are handed back so other hosts can take
   * them now; the coordinator is told why in `bye`.
   */
  async stop(reason = 'stopping'): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.progressTimer);
    const unstarted = this.queue.splice(0).map((u) => u.leaseId);
    for (let i = 0; i < unstarted.length; i += 64) this.link.send({ type: 'release', leaseIds: unstarted.slice(i, i + 64), reason });
    // An abort wakes a paused thread too; each unit checkpoints at its next slice boundary.
    for (const r of this.running.values()) r.task?.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.link.stop(reason);
    await this.pool.destroy();
    this.setState(`stopped: ${reason}`);
  }

  // ---- state ----

  private setState(state: string): void {
    if (state === this.state) return;
    this.state = state;
    this.link.state = state;
    this.emit('status', state);
  }

  private refresh(): void {
    if (this.stopping) return;
    this.setState(stateLine({
      hold: this.holdReason, finishing: this.finishing, welcomed: this.welcomed, running: this.running.size, queued: this.queue.length,
      outbox: this.finishing ? this.delivery.waiting : 0, down: this.downReason, noWork: this.noWork,
    }));
  }

  private onMessage(msg: CoordinatorMessage): void {
    switch (msg.type) {
      case 'welcome': {
        this.welcomed = true;
        // Units this host already holds: keep them (resumed from checkpoints where there are some),
        // except those already finished and waiting in the outbox.
        const done = this.delivery.finished();
        for (const u of msg.leases) {
          if (done.has(u.leaseId) || this.running.has(u.leaseId) || this.queue.some((q) => q.leaseId === u.leaseId)) continue;
          this.queue.push(u);
          this.opsOf.set(u.leaseId, u.ops);
          if (this.checkpoints.load(u.leaseId) !== undefined) this.emit('log', 'info', `holding ${u.leaseId} from before; it has a checkpoint`, { leaseId: u.leaseId });
        }
        this.pump();
        this.fill();
        return;
      }
      case 'work':
        this.requesting = false;
        this.noWork = null;
        for (const u of msg.units) this.opsOf.set(u.leaseId, u.ops);
        this.queue.push(...msg.units);
        this.pump();
        this.fill();
        this.refresh();
        return;
      case 'no_work':
        this.requesting = false;
        // A full quota while units are in hand is the buffer working as meant, not news.
        this.noWork = msg.reason === 'quota' && this.busy ? null : msg.message;
        this.refresh();
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.fill(), msg.retryMs);
        this.retryTimer.unref();
        return;
      case 'ack':
        this.delivery.acknowledged(msg.items);
        for (const item of msg.items) {
          if (item.status === 'accepted') {
            this.credit.claim(item.leaseId, this.opsOf.get(item.leaseId) ?? 0);
            this.emit('accepted', item.leaseId);
          } else this.emit('rejected', item.leaseId, item.error?.code ?? 'REJECTED', item.error?.message ?? '');
          this.opsOf.delete(item.leaseId);
        }
        this.refresh();
        this.finishIfDone();
        return;
      case 'credit':
        this.credit.grant(msg.leaseId, msg.credit, msg.valid);
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
      r.task?.abort();
      this.running.delete(leaseId);
    }
    this.checkpoints.remove(leaseId);
    this.opsOf.delete(leaseId);
    this.emit('log', 'info', `dropped ${leaseId}: ${reason}`, { leaseId });
  }

  /** Stop a running unit at its next slice; it checkpoints and goes back to the front of the queue. */
  private unload(leaseId: string): void {
    const r = this.running.get(leaseId);
    if (!r || this.requeue.has(leaseId)) return;
    this.requeue.add(leaseId);
    r.task?.abort();
  }

  // ---- the work buffer ----

  /** Ask for enough units to keep every thread busy plus the buffer. */
  private fill(): void {
    if (this.finishing || this.stopping || this.requesting || this.holdReason !== null || !this.link.connected) return;
    const held = [...this.running.values()].map((r) => ({ kind: r.unit.kind, ops: r.unit.ops, fraction: r.fraction, deadline: r.unit.deadline }))
      .concat(this.queue.map((u) => ({ kind: u.kind, ops: u.ops, fraction: 0, deadline: u.deadline })));
    const want = unitsToRequest({ threads: this.opts.threads, bufferUnits: this.opts.bufferUnits, bufferMinutes: this.opts.bufferMinutes, held, rates: this.rates, now: Date.now() });
    if (want <= 0) return;
    this.requesting = this.link.send({ type: 'request', count: want });
  }

  /** Start queued units on free threads; units that can no longer make their deadline go back. */
  private pump(): void {
    const hopeless: string[] = [];
    while (!this.stopping && this.holdReason === null && this.running.size < this.opts.threads && this.queue.length) {
      const unit = this.queue.shift()!;
      if (unit.deadline < Date.now()) {
        this.emit('log', 'warn', `skipping ${unit.leaseId}: its deadline has passed`, { leaseId: unit.leaseId });
        this.checkpoints.remove(unit.leaseId);
        continue;
      }
      const rate = this.rates[unit.kind];
      // Hand back only what clearly cannot make it: a speed estimate is rough, and a unit handed back by
      // every host has to wait for their cool-down (lease.lua) before it can come back.
      if (rate && this.checkpoints.load(unit.leaseId) === undefined && (unit.ops / rate) * 1000 > 1.5 * (unit.deadline - Date.now())) {
        hopeless.push(unit.leaseId);
        continue;
      }
      void this.startUnit(unit);
    }
    if (hopeless.length) {
      this.emit('log', 'warn', `handing back ${hopeless.length} unit(s) this machine cannot finish before their deadline`, { leaseIds: hopeless });
      this.link.send({ type: 'release', leaseIds: hopeless.slice(0, 64), reason: 'cannot finish before the deadline' });
    }
    this.refresh();
    this.finishIfDone();
  }

  /** --finish ends once the held units are known and done and every result is acknowledged. */
  private finishIfDone(): void {
    if (this.finishing && this.welcomed && !this.running.size && !this.queue.length && this.delivery.waiting === 0) void this.stop('finished the units in hand');
  }

  private async startUnit(unit: WorkUnit): Promise<void> {
    const kind = getKind(unit.kind);
    const checkpoint = this.checkpoints.load(unit.leaseId);
    const r = new Running(unit, this.freeSlot(), kind?.itemName ?? null, kind?.items ? kind.items(unit.spec) : null);
    // Reserve the thread before any await, so pump() does not start a second unit on it.
    this.running.set(unit.leaseId, r);
    const mine = () => this.running.get(unit.leaseId) === r;
    try {
      if (!kind || kind.version !== unit.kindVersion) throw Object.assign(new Error(`kind ${unit.kind} v${unit.kindVersion} is not in this worker`), { code: 'UNIT_ERROR' });
      const input = unit.input ? await downloadInput(this.opts.coordinator, this.identity, unit) : undefined;
      if (!mine() || this.stopping) return; // cancelled or stopping while downloading
      let first = true;
      r.task = this.pool.run({ kernelModule: kind.kernelModule, spec: unit.spec, input, checkpoint }, (p) => {
        r.progress(p);
        if (first && checkpoint !== undefined) {
          this.emit('log', 'info', `resumed ${unit.leaseId} from its checkpoint at ${(p.fraction * 100).toFixed(1)}% (${p.opsDone} ops already done)`, { leaseId: unit.leaseId, fraction: p.fraction, opsDone: p.opsDone });
        }
        first = false;
        if (p.checkpoint !== undefined) this.checkpoints.save(unit.leaseId, p.checkpoint);
      });
      const outcome = await r.task.outcome;
      if (outcome.status === 'aborted') {
        const back = this.requeue.delete(unit.leaseId);
        if (this.stopping || back) this.checkpoints.save(unit.leaseId, outcome.checkpoint);
        if (back && !this.stopping && mine()) {
          this.running.delete(unit.leaseId);
          this.queue.unshift(unit);
        }
        return;
      }
      if (!mine()) return;
      this.running.delete(unit.leaseId);
      // Give the thread its next unit before the bookkeeping (disk writes, events): threads never wait on it.
      this.pump();
      this.unitsDone++;
      // Units of a second or less are mostly start-up cost: their speed would make long units look hopeless.
      if (outcome.computeS >= 1) this.rates[unit.kind] = updateRate(this.rates[unit.kind], outcome.opsDone / outcome.computeS);
      this.emit('unitDone', unit.leaseId, outcome.computeS);
      this.delivery.add({ leaseId: unit.leaseId, result: outcome.result, cpuS: outcome.computeS, elapsedS: (Date.now() - r.startedAt) / 1000 });
      this.checkpoints.remove(unit.leaseId);
    } catch (err) {
      if (mine()) this.running.delete(unit.leaseId);
      const e = err as { code?: string; message: string };
      this.emit('log', 'warn', `unit ${unit.leaseId} failed: ${e.message}`, { leaseId: unit.leaseId });
      // Only registered codes travel; a kernel's unregistered code stays visible in the message.
      const code = isErrorCode(e.code) ? e.code : 'UNIT_ERROR';
      const message = code === e.code || !e.code ? e.message : `${e.code}: ${e.message}`;
      this.link.send({ type: 'failures', items: [{ leaseId: unit.leaseId, code, message: message.slice(0, 2000) }] });
    } finally {
      r.finished();
      if (!this.stopping) {
        this.pump();
        this.fill();
      }
    }
  }

  /** The lowest thread slot no running unit uses, for a steady per-thread display. */
  private freeSlot(): number {
    const used = new Set([...this.running.values()].map((r) => r.slot));
    let s = 0;
    while (used.has(s)) s++;
    return s;
  }

  private sendProgress(): void {
    const items = [...this.running.values()].filter((r) => r.task).slice(0, 64).map((r) => ({ leaseId: r.unit.leaseId, fraction: Math.min(1, r.fraction), opsPerS: r.opsPerS }));
    if (items.length) this.link.send({ type: 'progress', items });
  }
}
