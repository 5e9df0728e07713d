/**
 * How much work to keep in hand (BOINC's "store at least X days of work", in minutes here): enough that
 * every thread finds its next unit ready when it finishes one, and at least `bufferMinutes` of computing
 * estimated from the units' operations and the speed measured on this machine. Never more than half the
 * time left to the nearest deadline of the units already in hand: a buffer that cannot be finished in
 * time only makes units late.
 */
export interface HeldUnit {
  kind: string;
  ops: number;
  /** Fraction already done (0 for units waiting in the buffer). */
  fraction: number;
  deadline: number;
}

export interface BufferState {
  threads: number;
  bufferUnits: number;
  bufferMinutes: number;
  held: HeldUnit[];
  /** Measured operations per second of one thread, by kind; missing where nothing was measured yet. */
  rates: Record<string, number>;
  now: number;
}

/** Units the protocol lets a worker ask for in one request. */
const MAX_REQUEST = 64;

/** Seconds of computing the held units need on all threads, or null if a kind's speed is unknown. */
export function secondsInHand(s: Pick<BufferState, 'held' | 'rates' | 'threads'>): number | null {
  let threadSeconds = 0;
  for (const u of s.held) {
    const rate = s.rates[u.kind];
    if (!rate) return null;
    threadSeconds += (u.ops * (1 - u.fraction)) / rate;
  }
  return threadSeconds / s.threads;
}

/** How many units would fill the buffer now (0: full). */
function shortfall(s: BufferState): number {
  const floor = s.threads + s.bufferUnits - s.held.length;
  const inHand = secondsInHand(s);
  if (inHand === null || s.held.length === 0) return clamp(floor);
  const nearest = (Math.min(...s.held.map((u) => u.deadline)) - s.now) / 1000;
  const target = Math.min(s.bufferMinutes * 60, nearest / 2);
  if (inHand >= target) return clamp(floor);
  // Size the shortfall in units like the ones in hand.
  const perUnit = s.held.reduce((sum, u) => sum + u.ops / s.rates[u.kind], 0) / s.held.length / s.threads;
  const more = perUnit > 0 ? Math.ceil((target - inHand) / perUnit) : 1;
  return clamp(Math.max(floor, more));
}

/**
 * How many more units to ask for now (0: not yet). Work is fetched in steps, as BOINC's client does
 * (ask when the buffer is below its low mark, fill it to the high mark): while every thread has a unit
 * and one more waits, the worker waits until a quarter of the buffer is missing and then asks for all
 * of it, rather than asking for one unit each time a thread finishes one. Each request costs Redis a
 * fixed amount whatever its size (about as much as a dozen units of it, docs/scaling.md), so with a
 * buffer of many short units that cost is paid once per many units instead of once per unit; a buffer
 * of a few long units is asked for as before, since a thread must never wait.
 */
export function unitsToRequest(s: BufferState): number {
  const want = shortfall(s);
  const spare = s.held.length - s.threads;
  const step = Math.max(1, Math.ceil((s.held.length + want) / 4));
  return want >= step || spare <= 0 ? want : 0;
}

const clamp = (n: number): number => Math.max(0, Math.min(MAX_REQUEST, n));

/** Exponentially weighted speed, so one odd unit (a busy machine) does not swing the estimate. */
export function updateRate(old: number | undefined, measured: number): number {
  return old === undefined ? measured : old * 0.7 + measured * 0.3;
}
