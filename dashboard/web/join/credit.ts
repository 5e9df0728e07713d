/**
 * Credit earned today in this browser, counted as the Node worker counts it (protocol/credit.ts), kept in
 * IndexedDB so a reload does not reset the day.
 */
import { CreditDay } from '../../../protocol/credit.js';
import type { JoinStore } from './store.js';

const KEY = 'credit';

export class CreditToday extends CreditDay {
  static async load(store: JoinStore): Promise<CreditToday> {
    const saved = await store.get<unknown>(KEY);
    return new CreditToday(saved, (d) => void store.put(KEY, d).catch(() => {}));
  }
}
