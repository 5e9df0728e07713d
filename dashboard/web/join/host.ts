/**
 * The browser volunteer: this tab as a host. It keeps a small buffer of units (one per thread and one
 * more, since a closing tab hands them back), runs them on its compute threads (compute-worker.ts),
 * checkpoints them to IndexedDB, delivers results through an outbox that survives a reload, drops
 * cancelled units, and says what it does and why. The browser's counterpart of worker/worker.ts,
 * speaking the same protocol; it never starts by itself.
 */
import { isErrorCode } from '../../../protocol/errors.js';
import { MAX_BATCH, type CoordinatorMessage, type WorkUnit } from '../../../protocol/messages.js';
import { PROTOCOL_VERSION } from '../../../protocol/version.js';
import { KINDS, getKind } from '../../../workunits/index.js';
import { CreditToday } from './credit.js';
import { InputUnavailable, UnitFailure, downloadInput } from './download.js';
import { browserFacts, browserSoftware, defaultHostName } from './facts.js';
import type { HostIdentity } from './identity.js';
import { Link } from './link.js';
import type { RunTask, ToCompute } from './messages.js';
import { unitKey, type JoinStore, type PendingResult } from './store.js';
import { ComputeThread, type ThreadEvents } from './thread.js';
import type { WorkerTimers } from './timers.js';

export interface Settings {
  threads: number;
  /** Percent of the time each thread computes. */
  share: number;
  name: string;
  account: string;
}

/** Units a tab may hold beyond one per thread: enough that a thread never waits on the network. */
const BUFFER = 1;
/** A tab can close at any moment: checkpoints are written more often than the Node worker's. */
const CHECKPOINT_MS = 5_000;
const SLICE_MS = 100;
/** How long Stop waits for the threads to return their checkpoints before it hands the units back anyway. */
const STOP_WAIT_MS = 3_000;
/** Units' progress to the coordinator, for the dashboard: as often as the Node worker sends it. */
const PROGRESS_EVERY_MS = 10_000;

export interface LogLine {
  at: number;
  text: string;
}

export class BrowserHost {
  readonly threads: ComputeThread[] = [];
  readonly queue: WorkUnit[] = [];
  readonly log: LogLine[] = [];
  state = '';
  started = false;
  paused = false;
  unitsDone = 0;
  ended: string | null = null;
  private stopping = false;
  private welcomed = false;
  private requesting = false;
  private down: string | null = null;
  private noWork: string | null = null;
  private helloThreads = 0;
  private cancelRetry?: () => void;
  private cancelProgress?: () => void;
  private readonly link: Link;
  private readonly stopWaiters = new Set<() => void>();

  constructor(
    private readonly store: JoinStore,
    readonly identity: HostIdentity,
    readonly credit: CreditToday,
    readonly settings: Settings,
    private readonly timers: WorkerTimers,
    private readonly computeUrl: URL,
    wsUrl: string,
    private readonly onChange: () => void,
  ) {
    this.link = new Link(wsUrl, () => {
      this.helloThreads = this.settings.threads;
      return {
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        hostId: identity.hostId,
        hostSecret: identity.hostSecret,
        name: (this.settings.name.trim() || defaultHostName()).slice(0, 64),
        ...(this.settings.account.trim() ? { account: this.settings.account.trim() } : {}),
        software: browserSoftware(),
        facts: browserFacts(),
        threads: this.settings.threads,
        kinds: Object.values(KINDS).map((k) => ({ name: k.name, version: k.version })),
      };
    }, timers, {
      message: (m) => this.onMessage(m),
      up: () => {
        this.down = null;
        this.refresh();
      },
      down: (reason, wait) => {
        this.requesting = false;
        this.welcomed = false;
        this.down = `coordinator unreachable (${reason}); trying again in ${Math.round(wait / 1000)} s`;
        this.refresh();
      },
      ended: (reason) => {
        this.say(reason);
        void this.halt(reason);
      },
    });
    this.refresh();
  }

  get busyThreads(): number {
    return this.threads.filter((t) => t.busy).length;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.ended = null;
    this.paused = false;
    this.welcomed = false;
    this.down = null;
    this.noWork = null;
    this.say(`starting as host ${this.identity.hostId} with ${this.settings.threads} thread(s) at ${this.settings.share}% CPU`);
    void this.store.pruneCheckpoints(Date.now()).then((n) => n && this.say(`dropped ${n} checkpoint(s) of units whose deadline has passed`));
    this.link.start();
    this.cancelProgress = this.timers.every(PROGRESS_EVERY_MS, () => this.sendProgress());
    this.refresh();
  }

  pause(): void {
    if (!this.started || this.paused) return;
    this.paused = true;
    this.broadcast({ type: 'pause' });
    this.say('paused: units kept, nothing computed until Resume');
    this.refresh();
  }

  resume(): void {
    if (!this.started || !this.paused) return;
    this.paused = false;
    this.broadcast({ type: 'resume' });
    this.say('resumed');
    this.pump();
    this.fill();
    this.refresh();
  }

  /** Stop contributing: running units checkpoint, and every unit in hand goes back to the grid now. */
  async stop(reason = 'stopped by the volunteer'): Promise<void> {
    if (!this.started || this.stopping) return;
    await this.halt(reason);
    this.say(`stopped (${reason}); units handed back for other hosts to take`);
  }

  /**
   * The page is going (pagehide): hand back every unit in hand at once, so the coordinator reissues them
   * now instead of at their deadline. Synchronous, because nothing runs after pagehide returns; the last
   * checkpoints are already in IndexedDB.
   */
  leave(reason: string): void {
    if (!this.started) return;
    this.cancelProgress?.();
    this.release(this.heldLeaseIds(), reason);
    this.link.stop(reason);
    for (const t of this.threads) t.terminate();
    this.started = false;
  }

  setThreads(n: number): void {
    this.settings.threads = n;
    if (!this.started) return this.refresh();
    // Fewer threads: the most recently started units checkpoint and wait at the front of the queue.
    const live = this.threads.filter((t) => t.busy && t.unit && !t.unloading).sort((a, b) => b.startedAt - a.startedAt);
    for (const t of live.slice(0, Math.max(0, live.length - n))) this.requeue(t.unload('requeue'));
    // More threads than hello announced: the coordinator sizes this host's quota by hello, so say hello again.
    if (n > this.helloThreads && this.link.connected) this.link.reconnect('more threads');
    this.pump();
    this.fill();
    this.refresh();
  }

  setShare(percent: number): void {
    this.settings.share = percent;
    this.broadcast({ type: 'share', share: percent });
    this.refresh();
  }

  // ---- the protocol ----

  private onMessage(msg: CoordinatorMessage): void {
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        void this.welcome(msg.leases);
        return;
      case 'work':
        this.requesting = false;
        this.noWork = null;
        this.queue.push(...msg.units);
        this.pump();
        this.fill();
        this.refresh();
        return;
      case 'no_work':
        this.requesting = false;
        // A full quota while units are in hand is the buffer working as meant, not news.
        this.noWork = msg.reason === 'quota' && this.busyThreads ? null : msg.message;
        this.cancelRetry?.();
        this.cancelRetry = this.timers.after(msg.retryMs, () => this.fill());
        this.refresh();
        return;
      case 'ack':
        for (const item of msg.items) void this.acknowledged(item.leaseId, item.status === 'accepted', item.error ? `${item.error.code}: ${item.error.message}` : '');
        return;
      case 'credit':
        this.credit.grant(msg.leaseId, msg.credit, msg.valid);
        this.onChange();
        return;
      case 'cancel':
        for (const id of msg.leaseIds) this.drop(id, msg.reason);
        this.fill();
        return;
      case 'error':
        this.requesting = false;
        this.say(`coordinator: ${msg.code}: ${msg.message}`);
        return;
      default:
        return;
    }
  }

  /** Units this host holds from before (a reconnect, or a tab that died without pagehide) resume here. */
  private async welcome(leases: WorkUnit[]): Promise<void> {
    const pending = await this.store.pending();
    const done = new Set(pending.map((p) => p.leaseId));
    for (let i = 0; i < pending.length; i += MAX_BATCH) {
      this.link.send({ type: 'results', items: pending.slice(i, i + MAX_BATCH).map(({ leaseId, result, cpuS, elapsedS }) => ({ leaseId, result, cpuS, elapsedS })) });
    }
    if (pending.length) this.say(`delivering ${pending.length} result(s) finished before the page was closed or the link dropped`);
    const held = new Set(this.heldLeaseIds());
    for (const u of leases) {
      if (done.has(u.leaseId) || held.has(u.leaseId)) continue;
      this.queue.push(u);
      this.say(`holding ${u.leaseId} from before`);
    }
    this.pump();
    this.fill();
    this.refresh();
  }

  private async acknowledged(leaseId: string, accepted: boolean, why: string): Promise<void> {
    const pending = (await this.store.pending()).find((p) => p.leaseId === leaseId);
    await this.store.removePending(leaseId);
    if (accepted) this.credit.claim(leaseId, pending?.ops ?? 0);
    else this.say(`result ${leaseId} rejected: ${why}`);
    this.refresh();
  }

  private fill(): void {
    if (!this.started || this.stopping || this.paused || this.requesting || !this.link.connected || !this.welcomed) return;
    const want = this.settings.threads + BUFFER - this.busyThreads - this.queue.length;
    if (want <= 0) return;
    this.requesting = this.link.send({ type: 'request', count: Math.min(want, MAX_BATCH) });
  }

  private sendProgress(): void {
    const items = this.threads.filter((t) => t.unit && t.phase !== 'downloading').slice(0, MAX_BATCH)
      .map((t) => ({ leaseId: t.unit!.leaseId, fraction: Math.min(1, t.fraction), opsPerS: t.rate }));
    if (items.length) this.link.send({ type: 'progress', items });
  }

  private release(leaseIds: string[], reason: string): void {
    for (let i = 0; i < leaseIds.length; i += MAX_BATCH) this.link.send({ type: 'release', leaseIds: leaseIds.slice(i, i + MAX_BATCH), reason: reason.slice(0, 200) });
  }

  private heldLeaseIds(): string[] {
    return [...this.queue.map((u) => u.leaseId), ...this.threads.flatMap((t) => (t.unit ? [t.unit.leaseId] : []))];
  }

  /** Stop everything (Stop, or the coordinator refused this host): units back to the grid, threads idle. */
  private async halt(reason: string): Promise<void> {
    if (this.stopping || !this.started) return;
    this.stopping = true;
    this.refresh();
    this.cancelRetry?.();
    this.cancelProgress?.();
    this.release(this.heldLeaseIds(), reason);
    this.queue.length = 0;
    const busy = this.threads.filter((t) => t.busy);
    for (const t of busy) t.unload('stop');
    if (busy.length) {
      await new Promise<void>((resolve) => {
        const cancel = this.timers.after(STOP_WAIT_MS, done);
        const waiter = () => this.busyThreads === 0 && done();
        function done() {
          cancel();
          resolve();
        }
        this.stopWaiters.add(waiter);
      });
      this.stopWaiters.clear();
    }
    this.link.stop(reason);
    this.started = false;
    this.stopping = false;
    this.ended = reason;
    this.welcomed = false;
    this.refresh();
  }

  // ---- the compute threads ----

  private thread(index: number): ComputeThread {
    return (this.threads[index] ??= new ComputeThread(index, this.computeUrl, this.threadEvents));
  }

  private broadcast(m: ToCompute): void {
    for (const t of this.threads) t.send(m);
  }

  /** Start queued units on free threads. */
  private pump(): void {
    while (this.started && !this.stopping && !this.paused && this.queue.length && this.busyThreads < this.settings.threads) {
      const unit = this.queue.shift()!;
      if (unit.deadline < Date.now()) {
        this.say(`skipping ${unit.leaseId}: its deadline has passed`);
        void this.store.removeCheckpoint(unitKey(unit));
        continue;
      }
      let index = 0;
      while (this.threads[index]?.busy) index++;
      void this.startUnit(this.thread(index), unit);
    }
    this.refresh();
  }

  private async startUnit(t: ComputeThread, unit: WorkUnit): Promise<void> {
    t.claim(unit);
    try {
      const kind = getKind(unit.kind);
      if (!kind || kind.version !== unit.kindVersion) throw new UnitFailure('UNIT_ERROR', `kind ${unit.kind} v${unit.kindVersion} is not in this page (reload it for the newest)`);
      const saved = await this.store.checkpointFor(unit);
      const input = unit.input
        ? await downloadInput(unit, this.identity, {
          sleep: (ms) => new Promise((resolve) => this.timers.after(ms, resolve)),
          wanted: () => t.unit === unit && this.started,
          onRetry: (why, ms) => this.say(`input of ${unit.leaseId}: the coordinator could not give it (${why}); trying again in ${Math.round(ms / 1000)} s`),
        })
        : undefined;
      if (t.unit !== unit) {
        // Dropped, stopped or unloaded while it was being fetched.
        t.release();
        this.pump();
        return;
      }
      const task: RunTask = {
        type: 'run', kernelModule: kind.kernelModule, spec: unit.spec, input, checkpoint: saved?.checkpoint,
        sliceMs: SLICE_MS, checkpointMs: CHECKPOINT_MS, share: this.settings.share, paused: this.paused,
      };
      t.run(task, saved !== undefined);
    } catch (err) {
      const e = err as { code?: string; message: string };
      if (t.unit === unit) {
        t.release();
        if (err instanceof InputUnavailable) {
          // Nobody can use a result now: nothing to report, as the Node worker does.
          this.say(`gave up ${unit.leaseId}: ${e.message}`);
          void this.store.removeCheckpoint(unitKey(unit));
        } else this.failed(unit, e.code ?? 'UNIT_ERROR', e.message);
      } else if (t.busy && !t.unit) t.release();
      this.pump();
      this.fill();
    }
    this.refresh();
  }

  private readonly threadEvents: ThreadEvents = {
    progress: (t, unit, checkpoint, resumedAt) => {
      if (resumedAt !== null) this.say(`resumed ${unit.leaseId} from its checkpoint at ${(resumedAt * 100).toFixed(1)}%`);
      if (checkpoint !== undefined) this.saveCheckpoint(unit, checkpoint, t.fraction);
      this.onChange();
    },
    done: (t, unit, result, computeS) => {
      this.unitsDone++;
      const item: PendingResult = { leaseId: unit.leaseId, result, cpuS: computeS, elapsedS: (Date.now() - t.startedAt) / 1000, ops: unit.ops };
      this.say(`finished ${unit.leaseId} in ${computeS.toFixed(1)} s of compute`);
      // Kept until acknowledged: a reload or a lost link delivers it again.
      void this.store.addPending(item).then(() => this.store.removeCheckpoint(unitKey(unit)));
      this.link.send({ type: 'results', items: [{ leaseId: item.leaseId, result: item.result, cpuS: item.cpuS, elapsedS: item.elapsedS }] });
    },
    aborted: (_t, unit, after, checkpoint, fraction) => {
      if (unit && (after === 'requeue' || after === 'stop')) this.saveCheckpoint(unit, checkpoint, fraction);
      if (unit && after === 'requeue') this.requeue(unit);
    },
    failed: (_t, unit, code, message) => this.failed(unit, code, message),
    ended: () => {
      for (const w of this.stopWaiters) w();
      this.pump();
      this.fill();
    },
    broken: (t, why) => {
      const text = `compute thread ${t.index + 1} could not start (${why}): this browser cannot run the kernels; reload the page, or install the worker instead`;
      this.say(text);
      void this.halt(text);
    },
  };

  private requeue(unit: WorkUnit | null): void {
    if (unit && this.started && !this.stopping) this.queue.unshift(unit);
  }

  private failed(unit: WorkUnit, code: string, message: string): void {
    this.say(`unit ${unit.leaseId} failed: ${code}: ${message}`);
    // Only registered codes travel (as from the Node worker); a kernel's unregistered one stays in the message.
    const wire = isErrorCode(code) ? code : 'UNIT_ERROR';
    this.link.send({ type: 'failures', items: [{ leaseId: unit.leaseId, code: wire, message: (wire === code ? message : `${code}: ${message}`).slice(0, 2000) }] });
    void this.store.removeCheckpoint(unitKey(unit));
  }

  private drop(leaseId: string, reason: string): void {
    const i = this.queue.findIndex((u) => u.leaseId === leaseId);
    if (i >= 0) this.queue.splice(i, 1);
    const t = this.threads.find((x) => x.unit?.leaseId === leaseId);
    if (t) {
      void this.store.removeCheckpoint(unitKey(t.unit!));
      t.unload('drop');
    }
    this.say(`dropped ${leaseId}: ${reason}`);
    this.refresh();
  }

  private saveCheckpoint(unit: WorkUnit, checkpoint: unknown, fraction: number): void {
    void this.store.saveCheckpoint({
      unitKey: unitKey(unit), kind: unit.kind, kindVersion: unit.kindVersion, spec: JSON.stringify(unit.spec),
      checkpoint, fraction, deadline: unit.deadline, savedAt: Date.now(),
    });
  }

  // ---- what it says ----

  say(text: string): void {
    this.log.push({ at: Date.now(), text });
    if (this.log.length > 100) this.log.splice(0, this.log.length - 100);
    this.onChange();
  }

  private refresh(): void {
    const running = this.threads.filter((t) => t.busy && t.unit).length;
    let s: string;
    if (this.stopping) s = 'stopping: saving checkpoints and handing the units back';
    else if (!this.started) s = this.ended ? `stopped: ${this.ended}` : 'not started: press Start to compute for the grid in this tab';
    else if (this.paused) s = 'paused by you: units kept, Resume to go on';
    else if (running) s = `running ${running} unit(s)${this.queue.length ? `, ${this.queue.length} waiting` : ''}`;
    else if (this.down) s = `waiting for work: ${this.down}`;
    else if (!this.welcomed) s = 'waiting for work: connecting to the coordinator';
    else if (this.noWork) s = `waiting for work: ${this.noWork}`;
    else s = 'waiting for work';
    this.state = s;
    this.link.state = s;
    this.onChange();
  }
}
