/**
 * The CPU-time cap as a duty cycle (BOINC's "use at most X% of CPU time"): compute, rest, repeat. At 50%
 * and above the rest lasts 1 s (75% = 3 s on, 1 s off); below 50% the work lasts 1 s (25% = 1 s on,
 * 3 s off), so neither phase gets shorter than a second and the pause flag is not flipped needlessly.
 */
export interface Phases {
  onMs: number;
  offMs: number;
}

export function dutyPhases(percent: number): Phases | null {
  if (percent >= 100) return null;
  if (percent >= 50) return { onMs: Math.round((1000 * percent) / (100 - percent)), offMs: 1000 };
  return { onMs: 1000, offMs: Math.round((1000 * (100 - percent)) / percent) };
}

/** Whether a cycle that started at `startMs` is in its computing phase at `nowMs`, and for how much longer. */
export function dutyState(percent: number, startMs: number, nowMs: number): { on: boolean; leftMs: number } {
  const p = dutyPhases(percent);
  if (!p) return { on: true, leftMs: Infinity };
  const t = (nowMs - startMs) % (p.onMs + p.offMs);
  return t < p.onMs ? { on: true, leftMs: p.onMs - t } : { on: false, leftMs: p.onMs + p.offMs - t };
}
