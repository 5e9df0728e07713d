/**
 * The IPC between a benchmark (bench/lib/sim.ts) and its simulated-host processes (bench/sim/worker.ts):
 * typed once, imported by both sides. Every command carries an id; the child answers each with the
 * same id.
 */

/**
 * What the simulated hosts do once told to run:
 * - 'throughput': request a batch, return a valid result for every unit at once, wait for the ack, repeat;
 * - 'heartbeat': send a heartbeat every `heartbeatMs` (first one at a random phase) and time the ack;
 * - 'lease': request `batch` units once and keep them (queue-depth measurements).
 */
export type SimMode = 'throughput' | 'heartbeat' | 'lease';

export interface SimConfig {
  mode: SimMode;
  /** Coordinator WebSocket URLs; host i connects to urls[i % urls.length]. */
  urls: string[];
  hosts: number;
  /** Distinguishes this process's host ids from every other's. */
  idPrefix: string;
  /** Threads each host declares (the coordinator lets a host hold 4 units per thread by default). */
  threads: number;
  /** Units per request (<= MAX_BATCH). */
  batch: number;
  heartbeatMs: number;
  /**
   * Spread hosts over loopback addresses (127.77.x.y), this many per address; 0 keeps the default. The
   * coordinator caps WebSocket connections per client address (as it should: a NAT shares one), so
   * 10,000 hosts on one machine must come from many addresses.
   */
  hostsPerAddress: number;
  /** Index of this process's first host among all hosts (for addresses). */
  firstIndex: number;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
}

export type SimCommand =
  | { id: number; cmd: 'connect'; config: SimConfig }
  | { id: number; cmd: 'run' }
  | { id: number; cmd: 'pause' }
  | { id: number; cmd: 'mark' }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'disconnect' }
  | { id: number; cmd: 'close' };

export interface SimStats {
  connected: number;
  connectFailed: number;
  /** Since the last 'mark'. */
  windowMs: number;
  resultsSent: number;
  accepted: number;
  rejected: Record<string, number>;
  unitsReceived: number;
  noWork: Record<string, number>;
  errors: Record<string, number>;
  /** Request -> work, ms, one per work message. */
  dispatchMs: number[];
  /** Heartbeat -> heartbeat_ack, ms. */
  heartbeatMs: number[];
  heartbeatsSent: number;
  /** Connections closed by the other side. */
  closed: number;
  /** First few error messages, for diagnosis. */
  samples: string[];
}

export type SimReply = { id: number; ok: true; data?: unknown } | { id: number; ok: false; error: string };
