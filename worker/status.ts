/** What the worker is doing, as one value: drawn by the terminal view, served by `idlegrid ctl status`. */
export interface UnitView {
  leaseId: string;
  kind: string;
  /** Thread slot (0-based) the unit runs on. */
  slot: number;
  fraction: number;
  /** Seconds of computing so far (paused time excluded). */
  computeS: number;
  /** Seconds of computing left, from the progress so far; null until there is some. */
  etaS: number | null;
  opsPerS: number;
  /** Items per second ("keys") where the kind counts items; null where it does not. */
  itemsPerS: number | null;
  itemName: string | null;
  /** The thread has stopped at a slice boundary (a pause, or the duty cycle resting). */
  paused: boolean;
  deadline: number;
}

export interface WorkerSnapshot {
  hostId: string;
  name?: string;
  coordinator: string;
  /** "running", "paused: user active (...)", "waiting for work: no jobs are queued", ... */
  state: string;
  connected: boolean;
  threads: number;
  units: UnitView[];
  /** Units leased and waiting for a thread. */
  buffered: number;
  /** Results on disk not yet acknowledged by the coordinator. */
  outbox: number;
  unitsDone: number;
  credit: { granted: number; claimed: number };
  /** Measured operations per second of one thread, by kind. */
  rates: Record<string, number>;
}
