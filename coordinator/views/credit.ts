/**
 * Recent average credit (BOINC's RAC). The Lua side keeps a decayed sum per host, account and team
 * (racE, decayed with the shared half-life up to racT, see lib.lua add_credit); read at `now` it becomes
 * credit per day: racE * 2^(-(now - racT)/H) * ln2 / H_days.
 */
import { SHARED } from '../store/unit-layout.js';

const HALF_LIFE_MS = SHARED.CREDIT_HALF_LIFE_MS;
const HALF_LIFE_DAYS = HALF_LIFE_MS / 86_400_000;

export function recentAverageCredit(racE: string | number | null | undefined, racT: string | number | null | undefined, now: number): number {
  const e = Number(racE ?? 0) || 0;
  if (e <= 0) return 0;
  const t = Number(racT ?? now) || now;
  return e * 2 ** (-Math.max(0, now - t) / HALF_LIFE_MS) * (Math.LN2 / HALF_LIFE_DAYS);
}
