/** One unit on a thread: what the worker knows of it between progress reports from its thread. */
import type { WorkUnit } from '../protocol/index.js';
import type { RunningTask } from './pool.js';
import type { UnitView } from './status.js';
import type { ThreadProgress } from './thread-protocol.js';

export class Running {
  task?: RunningTask;
  private readonly controller = new AbortController();
  /** Aborted when the unit is stopped, unloaded or withdrawn, whether computing or still downloading. */
  readonly cancelled: AbortSignal = this.controller.signal;
  readonly startedAt = Date.now();
  fraction = 0;
  opsDone = 0;
  computeS = 0;
  /** Where this run started: a unit resumed from a checkpoint starts part done. */
  private opsAtStart: number | null = null;
  private fractionAtStart = 0;
  /** Resolves when the worker is done with the unit, however it ended. */
  readonly done: Promise<void>;
  finished!: () => void;

  constructor(
    readonly unit: WorkUnit,
    readonly slot: number,
    readonly itemName: string | null,
    /** Items in the whole unit ("keys"), or null where the kind does not count items. */
    readonly items: number | null,
  ) {
    this.done = new Promise((resolve) => (this.finished = resolve));
  }

  /** Stop it: a download in flight is abandoned; a computing thread stops at its next slice and checkpoints. */
  abort(): void {
    this.controller.abort();
    this.task?.abort();
  }

  progress(p: ThreadProgress): void {
    if (this.opsAtStart === null) {
      this.opsAtStart = p.opsDone;
      this.fractionAtStart = p.fraction;
    }
    this.fraction = p.fraction;
    this.opsDone = p.opsDone;
    this.computeS = p.computeS;
  }

  /** Operations per second of computing in this run. */
  get opsPerS(): number {
    return this.computeS > 0 ? (this.opsDone - (this.opsAtStart ?? 0)) / this.computeS : 0;
  }

  /** Fraction of the unit per second of computing in this run. */
  get fractionPerS(): number {
    return this.computeS > 0 ? (this.fraction - this.fractionAtStart) / this.computeS : 0;
  }
}

export function unitView(r: Running): UnitView {
  const speed = r.fractionPerS;
  return {
    leaseId: r.unit.leaseId,
    kind: r.unit.kind,
    slot: r.slot,
    fraction: r.fraction,
    computeS: r.computeS,
    etaS: speed > 0 ? Math.max(0, (1 - r.fraction) / speed) : null,
    opsPerS: r.opsPerS,
    itemsPerS: r.items === null ? null : r.items * speed,
    itemName: r.itemName,
    paused: r.task?.isPaused() ?? false,
    deadline: r.unit.deadline,
  };
}
