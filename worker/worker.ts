/**
 * The volunteer's worker: keeps a buffer of units so threads never wait on the network (work-queue.ts),
 * starts them on free threads (unit-runner.ts runs each one), hands back what cannot make its deadline,
 * drops cancelled units, and says what it is doing and why (state-line.ts). Everything said to and heard
 * from the coordinator, results and failures delivered through the outbox included, is session.ts.
 * When it may compute is decided outside (governor.ts) and arrives through hold() and throttle();
 * without a governor (the demo) it always computes. One worker per config directory
 * (instance-lock.ts): a second one is refused when it is constructed.
 */
import { availableParallelism } from 'node:os';
import { EventEmitter } from 'node:events';
import type { WorkUnit } from '../protocol/index.js';
import { KINDS } from '../workunits/index.js';
import { loadBenchRates } from './bench-cache.js';
import { CheckpointStore } from './checkpoints.js';
import { CreditLog } from './credit.js';
import { downloadInput } from './download.js';
import type { Governed } from './governor.js';
import { loadIdentity, type HostIdentity } from './identity.js';
import { InstanceLock } from './instance-lock.js';
import { resolveWorkerOptions, type WorkerOptions, type WorkerOptionsInput } from './options.js';
import { ComputePool } from './pool.js';
import { Session } from './session.js';
import { stateLine } from './state-line.js';
import type { UnitView, WorkerSnapshot } from './status.js';
import { UnitRunner } from './unit-runner.js';
import { updateRate } from './work-buffer.js';
import { WorkQueue } from './work-queue.js';

export interface WorkerEvents {
  status: [state: string];
  /** The coordinator welcomed this worker (its hello, account key included, was accepted). */
  connected: [];
  /** The coordinator refused the hello with a code that never succeeds on retry; the worker will not reconnect. */
  refused: [error: { code: string; message: string }];
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
  readonly rates: Record<string, number>;
  private readonly lock: InstanceLock;
  private readonly session: Session;
  private readonly pool: ComputePool;
  private readonly checkpoints: CheckpointStore;
  private readonly credit: CreditLog;
  private readonly queue = new WorkQueue();
  private readonly runner: UnitRunner;
  private progressTimer?: NodeJS.Timeout;
  private finishing = false;
  private stopped?: Promise<void>;
  private holdReason: string | null = null;
  private resting = false;
  /** A coordinator has told us which units we hold; until then "nothing in hand" is not known. */
  private welcomed = false;
  state = 'starting';
  unitsDone = 0;

  constructor(input: WorkerOptionsInput) {
    super();
    this.opts = resolveWorkerOptions(input);
    const opts = this.opts;
    this.lock = InstanceLock.acquire(opts.configDir);
    try {
      this.identity = loadIdentity(opts.configDir);
    } catch (err) {
      this.lock.release();
      throw err;
    }
    this.checkpoints = new CheckpointStore(opts.configDir);
    this.credit = new CreditLog(opts.configDir);
    const versions = Object.fromEntries(Object.values(KINDS).map((k) => [k.name, k.version]));
    this.rates = loadBenchRates(opts.configDir, versions);
    const bench = { ...this.rates };
    this.pool = new ComputePool(Math.max(opts.threads, availableParallelism()), opts.sliceMs, opts.checkpointIntervalS * 1000);
    this.session = new Session(opts, this.identity, bench, this.credit, { busy: () => this.busy, fill: () => this.fill() });
    this.runner = new UnitRunner(this.pool, this.checkpoints, (unit, o) => downloadInput(opts.coordinator, this.identity, unit, o), {
      log: (level, msg, extra) => this.emit('log', level, msg, extra),
      computed: (unit, out) => {
        this.unitsDone++;
        // Units of a second or less are mostly start-up cost: their speed would make long units look hopeless.
        if (out.computeS >= 1) this.rates[unit.kind] = updateRate(this.rates[unit.kind], out.opsDone / out.computeS);
        this.emit('unitDone', unit.leaseId, out.computeS);
        this.session.deliver({ type: 'result', item: { leaseId: unit.leaseId, result: out.result, cpuS: out.computeS, elapsedS: out.elapsedS }, ops: unit.ops });
      },
      failed: (unit, failure) => this.session.deliver({ type: 'failure', item: { leaseId: unit.leaseId, ...failure } }),
      unloaded: (unit) => this.queue.unshift(unit),
      freed: () => {
        this.pump();
        this.fill();
      },
    });
    this.session.on('welcome', (leases) => this.adopt(leases));
    this.session.on('work', (units) => {
      this.queue.push(...units);
      this.pump();
      this.fill();
    });
    this.session.on('cancel', (ids, reason) => {
      for (const id of ids) this.drop(id, reason);
      this.fill();
    });
    this.session.on('changed', () => {
      this.refresh();
      this.finishIfDone();
    });
    this.session.on('refused', (error) => this.emit('refused', error));
    this.session.on('accepted', (id) => this.emit('accepted', id));
    this.session.on('rejected', (id, code, message) => this.emit('rejected', id, code, message));
    this.session.on('log', (level, msg, extra) => this.emit('log', level, msg, extra));
  }

  start(): void {
    this.session.start();
    this.progressTimer = setInterval(() => {
      const items = this.runner.progress();
      if (items.length) this.session.send({ type: 'progress', items });
    }, PROGRESS_EVERY_MS);
    this.progressTimer.unref();
  }

  /** Units running now, for the terminal view and the control interface. */
  units(): UnitView[] {
    return this.runner.views();
  }

  get buffered(): number {
    return this.queue.length;
  }

  /** The most threads setLimits accepts without a restart. */
  get maxThreads(): number {
    return this.pool.maxThreads;
  }

  get busy(): boolean {
    return this.runner.size + this.queue.length > 0;
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
      connected: this.session.connected,
      threads: this.opts.threads,
      units: this.units(),
      buffered: this.queue.length,
      outbox: this.session.waiting,
      unitsDone: this.unitsDone,
      credit: this.credit.today(),
      rates: { ...this.rates },
    };
  }

  // ---- what the governor and the control interface drive ----

  hold(reason: string | null, opts: { unload?: boolean } = {}): void {
    this.holdReason = reason;
    this.pool.setPaused(reason !== null || this.resting);
    if (reason !== null && opts.unload) this.runner.unloadAll();
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
    this.runner.trimTo(limits.threads);
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
   * them now; the coordinator is told why in `bye`. Never waits on the network for more than a second.
   */
  stop(reason = 'stopping'): Promise<void> {
    this.stopped ??= this.shutdown(reason);
    return this.stopped;
  }

  private async shutdown(reason: string): Promise<void> {
    clearInterval(this.progressTimer);
    try {
      this.session.release(this.queue.drain().map((u) => u.leaseId), reason);
      this.session.release(await this.runner.stop(), reason);
      await this.session.stop(reason);
      await this.pool.destroy();
    } finally {
      this.lock.release();
    }
    this.setState(`stopped: ${reason}`);
  }

  // ---- state ----

  private setState(state: string): void {
    if (state === this.state) return;
    this.state = state;
    this.session.state = state;
    this.emit('status', state);
  }

  private refresh(): void {
    if (this.stopped) return;
    this.setState(stateLine({
      hold: this.holdReason, finishing: this.finishing, welcomed: this.welcomed, running: this.runner.size, queued: this.queue.length,
      outbox: this.finishing ? this.session.waiting : 0, down: this.session.down, noWork: this.session.noWork,
    }));
  }

  // ---- units in hand ----

  /** Units this host already holds (after a restart or a reconnect): kept, resumed from checkpoints where there are some. */
  private adopt(leases: WorkUnit[]): void {
    this.welcomed = true;
    for (const u of leases) {
      if (this.runner.has(u.leaseId) || this.queue.has(u.leaseId)) continue;
      this.queue.push(u);
      if (this.checkpoints.load(u.leaseId) !== undefined) this.emit('log', 'info', `holding ${u.leaseId} from before; it has a checkpoint`, { leaseId: u.leaseId });
    }
    this.emit('connected');
    this.pump();
    this.fill();
  }

  private drop(leaseId: string, reason: string): void {
    this.queue.remove(leaseId);
    this.runner.drop(leaseId);
    this.checkpoints.remove(leaseId);
    this.emit('log', 'info', `dropped ${leaseId}: ${reason}`, { leaseId });
  }

  // ---- the work buffer ----

  /** Ask for enough units to keep every thread busy plus the buffer. */
  private fill(): void {
    if (this.finishing || this.stopped || this.holdReason !== null) return;
    const { threads, bufferUnits, bufferMinutes } = this.opts;
    this.session.fill({ threads, bufferUnits, bufferMinutes, held: [...this.runner.held(), ...this.queue.held()], rates: this.rates, now: Date.now() });
  }

  /** Start queued units on free threads; units that can no longer make their deadline go back. */
  private pump(): void {
    const hopeless: string[] = [];
    while (!this.stopped && this.holdReason === null && this.runner.size < this.opts.threads && this.queue.length) {
      const unit = this.queue.shift()!;
      if (unit.deadline < Date.now()) {
        this.emit('log', 'warn', `skipping ${unit.leaseId}: its deadline has passed`, { leaseId: unit.leaseId });
        this.checkpoints.remove(unit.leaseId);
        continue;
      }
      if (this.cannotMakeIt(unit)) hopeless.push(unit.leaseId);
      else this.runner.start(unit);
    }
    if (hopeless.length) {
      this.emit('log', 'warn', `handing back ${hopeless.length} unit(s) this machine cannot finish before their deadline`, { leaseIds: hopeless });
      this.session.release(hopeless, 'cannot finish before the deadline');
    }
    this.refresh();
    this.finishIfDone();
  }

  /**
   * Hand back only what clearly cannot make it: a speed estimate is rough, and a unit handed back by
   * every host has to wait for their cool-down (lease.lua) before it can come back.
   */
  private cannotMakeIt(unit: WorkUnit): boolean {
    const rate = this.rates[unit.kind];
    return !!rate && this.checkpoints.load(unit.leaseId) === undefined && (unit.ops / rate) * 1000 > 1.5 * (unit.deadline - Date.now());
  }

  /** --finish ends once the held units are known and done and every result is acknowledged. */
  private finishIfDone(): void {
    if (this.finishing && this.welcomed && !this.runner.size && !this.queue.length && this.session.waiting === 0) void this.stop('finished the units in hand');
  }
}
