/**
 * Credit earned today, kept in the config directory so a restart does not reset it. Credit is granted by
 * the coordinator when a result validates (a `credit` message); until then an accepted result counts as
 * claimed, worth its operations in cobblestones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfigFile } from './config-file.js';

import { OPS_PER_COBBLESTONE } from '../protocol/index.js';

export { OPS_PER_COBBLESTONE };

interface Day {
  day: string;
  granted: number;
  /** Lease id -> credit claimed for an accepted result not yet validated. */
  claimed: Record<string, number>;
}

const localDay = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

export class CreditLog {
  private readonly file: string;
  private data: Day;

  constructor(configDir: string, private readonly clock: () => number = Date.now) {
    this.file = join(configDir, 'credit.json');
    this.data = this.load();
  }

  /** An accepted result: claimed until the coordinator grants credit for it. */
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
    const day = localDay(this.clock());
    if (this.data.day !== day) this.data = { day, granted: 0, claimed: {} };
  }

  private load(): Day {
    try {
      const d = JSON.parse(readFileSync(this.file, 'utf8')) as Day;
      if (typeof d.day === 'string' && typeof d.granted === 'number' && d.claimed && typeof d.claimed === 'object') return d;
    } catch {
      /* first run, or an unreadable file: start the day at zero */
    }
    return { day: localDay(this.clock()), granted: 0, claimed: {} };
  }

  private save(): void {
    writeConfigFile(this.file, JSON.stringify(this.data));
  }
}
