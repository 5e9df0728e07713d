/**
 * How much of a job is behind it, as the dashboard shows it. Kept apart from the zod schemas so that the
 * page can import it without bundling zod.
 */

/**
 * Settled units (valid or failed) out of all, 0..1; and 1 once the job is done, also when it ended early
 * on a decisive result (a key found) and the remaining units were never needed.
 */
export function jobFraction(state: string, unitsDone: number, unitsFailed: number, unitsTotal: number): number {
  if (state === 'done' || unitsTotal <= 0) return 1;
  return Math.min(1, (unitsDone + unitsFailed) / unitsTotal);
}
