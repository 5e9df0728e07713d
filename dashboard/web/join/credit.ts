/**
 * Credit earned today in this browser, as the Node worker counts it (worker/credit.ts): an accepted
 * result is claimed, worth its operations in cobblestones, until the coordinator grants credit for it
 * (a `credit` message when it validates). Kept in IndexedDB so a reload does not reset the day.
 */
import { OPS_PER_COBBLESTONE } from '../../../protocol/credit.js';
import type { JoinStore } from './store.js';

interface Day {
  day: string;
  granted: number;
  claimed: Record<string, number>;
}

const localDay = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

const KEY = 'credit';

export class CreditToday {
  private constructor(private readonly store: JoinStore, private data: Day) {}

  static async load(store: JoinStore): Promise<CreditToday> {
    const d = await store.get<Day>(KEY);
    const ok = d && typeof d.day === 'string' && typeof d.granted === 'number' && d.claimed && typeof d.claimed === 'object';
    return new CreditToday(store, ok ? d : { day: localDay(Date.now()), granted: 0, claimed: {} });
  }

  claim(leaseId: string, ops: number): void {
    this.roll();
    this.data.claimed[leaseId] = ops / OPS_PER_COBBLESTONE;
    this.save();
  }

  grant(leaseId: string, credit: number, valid: boolean): void {
    this.roll();
    delete this.data.claimed[leaseId];
    if (valid) this.data.granted += credit;
    this.save();
  }

  today(): { granted: number; claimed: number } {
    this.roll();
    return { granted: this.data.granted, claimed: Object.values(this.data.claimed).reduce((a, b) => a + b, 0) };
  }

  private roll(): void {
    const day = localDay(Date.now());
    if (this.data.day !== day) this.data = { day, granted: 0, claimed: {} };
  }

  private save(): void {
    void this.store.put(KEY, this.data).catch(() => {});
  }
}
