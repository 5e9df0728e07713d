/**
 * Running units on the compute pool: each unit's input fetched and checked, its checkpoint loaded (so a
 * restart resumes it), its progress tracked, checkpoints written as the thread sends them, and its end
 * told to the worker: computed, failed (`{ code, message }`), or unloaded to wait at the front of the
 * queue (fewer threads, a memory pause). A unit cancelled or stopped part-way ends quietly.
 */
import type { WorkUnit } from '../protocol/index.js';
import { getKind } from '../workunits/index.js';
import type { CheckpointStore } from './checkpoints.js';
import { InputUnavailable, type DownloadOptions } from './download.js';
import type { ComputePool } from './pool.js';
import { Running, unitView } from './running.js';
import type { UnitView } from './status.js';
import { unitFailure, type UnitFailure } from './unit-failure.js';
import type { HeldUnit } from './work-buffer.js';

export interface Computed {
  result: unknown;
  opsDone: number;
  computeS: number;
  elapsedS: number;
}

export interface RunnerHooks {
  log(level: 'info' | 'warn', msg: string, extra?: Record<string, unknown>): void;
  computed(unit: WorkUnit, outcome: Computed): void;
  failed(unit: WorkUnit, failure: UnitFailure): void;
  /** Stopped at a slice and checkpointed, to wait at the front of the queue. */
  unloaded(unit: WorkUnit): void;
  /** A thread is free again: time to start the next unit. */
  freed(): void;
}

export type FetchInput = (unit: WorkUnit, opts: DownloadOptions) => Promise<Uint8Array>;

export class UnitRunner {
  private readonly running = new Map<string, Running>();
  /** Units being stopped to go back to the front of the queue. */
  private readonly unloading = new Set<string>();
  private stopping = false;

  constructor(
    private readonly pool: ComputePool,
    private readonly checkpoints: CheckpointStore,
    private readonly fetchInput: FetchInput,
    private readonly hooks: RunnerHooks,
  ) {}

  get size(): number {
    return this.running.size;
  }

  has(leaseId: string): boolean {
    return this.running.has(leaseId);
  }

  views(): UnitView[] {
    return [...this.running.values()].map((r) => unitView(r));
  }

  /** What the work buffer counts as in hand. */
  held(): HeldUnit[] {
    return [...this.running.values()].map((r) => ({ kind: r.unit.kind, ops: r.unit.ops, fraction: r.fraction, deadline: r.unit.deadline }));
  }

  /** For the coordinator's progress view: units computing now. */
  progress(): Array<{ leaseId: string; fraction: number; opsPerS: number }> {
    return [...this.running.values()].filter((r) => r.task).slice(0, 64).map((r) => ({ leaseId: r.unit.leaseId, fraction: Math.min(1, r.fraction), opsPerS: r.opsPerS }));
  }

  start(unit: WorkUnit): void {
    void this.run(unit);
  }

  /** Stop a unit at its next slice; it checkpoints and goes back to the front of the queue. */
  unload(leaseId: string): void {
    const r = this.running.get(leaseId);
    if (!r || this.unloading.has(leaseId)) return;
    this.unloading.add(leaseId);
    r.abort();
  }

  unloadAll(): void {
    for (const id of this.running.keys()) this.unload(id);
  }

  /** Fewer threads: the most recently started units beyond `threads` are unloaded. */
  trimTo(threads: number): void {
    const staying = [...this.running.values()].filter((r) => !this.unloading.has(r.unit.leaseId)).sort((a, b) => b.startedAt - a.startedAt);
    for (const r of staying.slice(0, Math.max(0, staying.length - threads))) this.unload(r.unit.leaseId);
  }

  /** The coordinator withdrew the unit: stop it, forget it. Returns whether it was running. */
  drop(leaseId: string): boolean {
    const r = this.running.get(leaseId);
    if (!r) return false;
    r.abort();
    this.running.delete(leaseId);
    return true;
  }

  /**
   * Every unit stops at its next slice and checkpoints (an abort wakes a paused thread too); a download
   * in flight is abandoned. Resolves once all have ended, with the units that never started computing
   * (they can go back to the coordinator at once).
   */
  async stop(): Promise<string[]> {
    this.stopping = true;
    const all = [...this.running.values()];
    const unstarted = all.filter((r) => !r.task).map((r) => r.unit.leaseId);
    for (const r of all) r.abort();
    await Promise.all(all.map((r) => r.done));
    return unstarted;
  }

  private async run(unit: WorkUnit): Promise<void> {
    const kind = getKind(unit.kind);
    const checkpoint = this.checkpoints.load(unit.leaseId);
    const r = new Running(unit, this.freeSlot(), kind?.itemName ?? null, kind?.items ? kind.items(unit.spec) : null);
    // Reserve the thread before any await, so the next unit does not start on it.
    this.running.set(unit.leaseId, r);
    const mine = () => this.running.get(unit.leaseId) === r;
    let freed = false;
    const free = () => {
      this.running.delete(unit.leaseId);
      freed = true;
      if (!this.stopping) this.hooks.freed();
    };
    try {
      if (!kind || kind.version !== unit.kindVersion) throw Object.assign(new Error(`kind ${unit.kind} v${unit.kindVersion} is not in this worker`), { code: 'UNIT_ERROR' });
      const input = unit.input ? await this.fetchInput(unit, { signal: r.cancelled, onRetry: this.inputRetryNotice(unit) }) : undefined;
      if (!mine() || this.stopping) return;
      r.cancelled.throwIfAborted(); // unloaded as the download finished
      let first = true;
      r.task = this.pool.run({ kernelModule: kind.kernelModule, spec: unit.spec, input, checkpoint }, (p) => {
        r.progress(p);
        if (first && checkpoint !== undefined) {
          this.hooks.log('info', `resumed ${unit.leaseId} from its checkpoint at ${(p.fraction * 100).toFixed(1)}% (${p.opsDone} ops already done)`, { leaseId: unit.leaseId, fraction: p.fraction, opsDone: p.opsDone });
        }
        first = false;
        if (p.checkpoint !== undefined) this.checkpoints.save(unit.leaseId, p.checkpoint);
      });
      const outcome = await r.task.outcome;
      if (outcome.status === 'aborted') {
        const back = this.unloading.delete(unit.leaseId);
        if (this.stopping || back) this.checkpoints.save(unit.leaseId, outcome.checkpoint);
        if (back && !this.stopping && mine()) {
          this.running.delete(unit.leaseId);
          this.hooks.unloaded(unit);
        }
        return;
      }
      if (!mine()) return;
      if (outcome.status === 'failed') throw outcome.error;
      // Give the thread its next unit before the bookkeeping (disk writes, events): threads never wait on it.
      free();
      this.hooks.computed(unit, { result: outcome.result, opsDone: outcome.opsDone, computeS: outcome.computeS, elapsedS: (Date.now() - r.startedAt) / 1000 });
      this.checkpoints.remove(unit.leaseId);
    } catch (err) {
      if (!mine()) return; // withdrawn by the coordinator: nothing to report
      if (r.cancelled.aborted) {
        // Stopping, or unloaded while its input was downloading: it starts again later, from the queue.
        if (this.unloading.delete(unit.leaseId) && !this.stopping) {
          this.running.delete(unit.leaseId);
          this.hooks.unloaded(unit);
        }
        return;
      }
      free();
      this.checkpoints.remove(unit.leaseId);
      if (err instanceof InputUnavailable) {
        this.hooks.log('warn', `gave up ${unit.leaseId}: ${err.message}`, { leaseId: unit.leaseId });
        return;
      }
      const failure = unitFailure(err);
      this.hooks.log('warn', `unit ${unit.leaseId} failed: ${failure.code}: ${failure.message}`, { leaseId: unit.leaseId, code: failure.code });
      this.hooks.failed(unit, failure);
    } finally {
      r.finished();
      if (!freed && !this.stopping) this.hooks.freed();
    }
  }

  /** One warning per unit while its input cannot be had, not one per retry. */
  private inputRetryNotice(unit: WorkUnit): DownloadOptions['onRetry'] {
    let told = false;
    return (why) => {
      if (told) return;
      told = true;
      this.hooks.log('warn', `waiting for the input of ${unit.leaseId}: the coordinator cannot give it now (${why}); trying again until its deadline`, { leaseId: unit.leaseId });
    };
  }

  /** The lowest thread slot no running unit uses, for a steady per-thread display. */
  private freeSlot(): number {
    const used = new Set([...this.running.values()].map((r) => r.slot));
    let s = 0;
    while (used.has(s)) s++;
    return s;
  }
}
