/** BOINC's unit of credit: 1/200 of a day of a 1 GFLOPS machine = 4.32e11 operations (DOMAIN.md section 1). */
export const OPS_PER_COBBLESTONE = 4.32e11;

/** A volunteer's credit for one local day, as the worker and the browser volunteer keep it. */
export interface CreditDayData {
  day: string;
  granted: number;
  /** Lease id -> credit claimed for an accepted result not yet validated. */
  claimed: Record<string, number>;
}

const localDay = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

const isCreditDay = (d: unknown): d is CreditDayData => {
  const x = d as Partial<CreditDayData> | null;
  return !!x && typeof x.day === 'string' && typeof x.granted === 'number' && !!x.claimed && typeof x.claimed === 'object';
};

/**
 * Credit earned today: granted by the coordinator when a result validates (a `credit` message); until
 * then an accepted result counts as claimed, worth its operations in cobblestones. A new local day starts
 * at zero. Where it is kept is the caller's (`save`): a file for the worker, IndexedDB in a browser tab.
 * Shared by both so that a volunteer sees the same figure from either.
 */
export class CreditDay {
  private data: CreditDayData;

  /** `saved`: what was kept last time, if anything (anything malformed starts the day at zero). */
  constructor(saved: unknown, private readonly save: (d: CreditDayData) => void, private readonly clock: () => number = Date.now) {
    this.data = isCreditDay(saved) ? saved : { day: localDay(clock()), granted: 0, claimed: {} };
  }

  /** An accepted result: claimed until the coordinator grants credit for it. */
  claim(leaseId: string, ops: number): void {
    this.roll();
    this.data.claimed[leaseId] = ops / OPS_PER_COBBLESTONE;
    this.save(this.data);
  }

  grant(leaseId: string, credit: number, valid: boolean): void {
    this.roll();
    delete this.data.claimed[leaseId];
    if (valid) this.data.granted += credit;
    this.save(this.data);
  }

  today(): { granted: number; claimed: number } {
    this.roll();
    return { granted: this.data.granted, claimed: Object.values(this.data.claimed).reduce((a, b) => a + b, 0) };
  }

  private roll(): void {
    const day = localDay(this.clock());
    if (this.data.day !== day) this.data = { day, granted: 0, claimed: {} };
  }
}
